import subprocess
import sys

from krocr.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_console_script_runs_smoke():
    result = subprocess.run(
        [sys.executable, "-m", "krocr.cli", "smoke", "--steps", "2"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "parameters" in result.stdout
