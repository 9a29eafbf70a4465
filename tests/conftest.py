"""Shared pytest fixtures."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations phones home otherwise


@pytest.fixture(scope="session")
def data_fixture(tmp_path_factory):
    """The rendered signboard dataset of tests/fixtures/make_fixture.py (built once)."""
    from fixtures.make_fixture import make_fixture

    return make_fixture(tmp_path_factory.mktemp("data_fixture"))


@pytest.fixture
def fake_clock(monkeypatch):
    """``time.monotonic`` replaced for the test by a FakeClock at 0 s, which the test moves."""
    from fixtures.progress import FakeClock

    clock = FakeClock()
    monkeypatch.setattr("time.monotonic", clock)
    return clock
