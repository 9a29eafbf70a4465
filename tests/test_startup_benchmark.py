"""benchmarks/startup.py times fresh processes; here only that its commands exist and run."""

import subprocess

from benchmark_modules import load_benchmark

startup = load_benchmark("startup")


def test_every_timed_command_runs():
    rows = startup.commands()
    assert any("krocr read" in name for name in rows)
    for argv in rows.values():
        assert subprocess.run(argv, capture_output=True, timeout=120).returncode == 0, argv


def test_times_are_one_per_repeat():
    assert len(startup.wall_seconds(["true"], repeats=3)) == 3
