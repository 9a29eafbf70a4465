"""Fixtures of the robustness suite and its per-test time limit.

Every test here runs under a wall-clock limit (default 60 s, ``@pytest.mark.timeout_s(N)``
to change it): a hang becomes a failure naming the test instead of a stuck CI job. The
limit is an interval timer whose handler raises :class:`TestTimeout`, a ``BaseException``,
so that neither the code under test nor hypothesis can swallow it or try to shrink it.
A second, harder limit (``faulthandler``, at twice the time) dumps every thread's stack and
ends the process if the interpreter is stuck inside C code where the signal cannot land.
"""

from __future__ import annotations

import faulthandler
import signal
import sys

import pytest
from robust_helpers import SignSet, good_photos

DEFAULT_TIMEOUT_S = 60.0


class TestTimeout(BaseException):
    """A robustness test ran past its time limit (a hang)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout_s(seconds): wall-clock limit of a robustness test (default 60)")


@pytest.fixture(autouse=True)
def time_limit(request: pytest.FixtureRequest):
    marker = request.node.get_closest_marker("timeout_s")
    seconds = float(marker.args[0]) if marker else DEFAULT_TIMEOUT_S
    if sys.platform == "win32" or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TestTimeout(f"{request.node.nodeid} ran longer than {seconds:g} s (a hang?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(2 * seconds, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def rendered_photos():
    """The five good photos (10 words), rendered once."""
    return good_photos()


@pytest.fixture
def signs(tmp_path, rendered_photos) -> SignSet:
    """A fresh dataset of the five good photos, for one test to spoil."""
    return SignSet.with_good_photos(tmp_path / "signs", rendered_photos)
