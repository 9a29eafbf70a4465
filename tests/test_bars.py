import io

import pytest
from fixtures.progress import FakeClock

from krocr.commands.bars import ProgressBar


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    fake_clock.now = 1_000.0  # a machine up for a while: the clock is not 0 when the work starts
    return fake_clock


def _run(clock: FakeClock, total: int | None, interval_s: float, enabled: bool = True) -> list[str]:
    """Ten steps of 2 s each, through a bar whose stream is not a terminal."""
    stream = io.StringIO()
    with ProgressBar(enabled=enabled, interval_s=interval_s, stream=stream) as bar:
        bar.start("synth ko", total)
        for _ in range(10):
            clock.now += 2.0
            bar.advance(1_000)
    return stream.getvalue().splitlines()


def test_a_log_gets_a_line_per_interval_with_position_time_left_and_rate(clock):
    lines = _run(clock, total=20_000, interval_s=5.0)
    assert lines == [
        "synth ko · 3,000/20,000 (15 %), 6 s in, 34 s left · 500.0/s",
        "synth ko · 6,000/20,000 (30 %), 12 s in, 28 s left · 500.0/s",
        "synth ko · 9,000/20,000 (45 %), 18 s in, 22 s left · 500.0/s",
    ]


def test_an_unknown_total_gets_position_and_rate_only(clock):
    assert _run(clock, total=None, interval_s=19.0)[0] == "synth ko · 10,000, 20 s in · 500.0/s"


def test_quiet_writes_nothing(clock):
    assert _run(clock, total=20_000, interval_s=0.0, enabled=False) == []


def test_short_work_writes_nothing(clock):
    assert _run(clock, total=20_000, interval_s=60.0) == []


def test_a_second_task_counts_from_its_own_start(clock):
    stream = io.StringIO()
    with ProgressBar(interval_s=5.0, stream=stream) as bar:
        bar.start("drawing texts", 100)
        clock.now += 50.0
        bar.advance(100)
        bar.start("synth ko", 1_000)
        clock.now += 10.0
        bar.advance(250)
    assert stream.getvalue().splitlines()[-1] == "synth ko · 250/1,000 (25 %), 10 s in, 30 s left · 25.0/s"


def test_lines_can_be_left_to_another_writer(clock):
    stream = io.StringIO()
    with ProgressBar(interval_s=0.0, log_lines=False, stream=stream) as bar:
        bar.start("epoch 1/3", 10)
        clock.now += 1.0
        bar.advance(1)
    assert stream.getvalue() == ""


def test_a_forced_colour_log_still_gets_lines(clock, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then calls any stream a terminal
    assert _run(clock, total=20_000, interval_s=5.0)[0].startswith("synth ko · 3,000/20,000 (15 %)")
