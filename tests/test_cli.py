import os
import subprocess
import sys

import pytest

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


def test_options_may_stand_between_a_config_and_its_overrides(tmp_path, capsys):
    config = tmp_path / "missing.yaml"
    # parsed in either order, the run reaches the config (absent: a clear error, not a usage error)
    for argv in (
        ["train-detector", str(config), "--run-dir", str(tmp_path / "run"), "train.epochs=1"],
        ["train-detector", "--run-dir", str(tmp_path / "run"), str(config), "train.epochs=1"],
    ):
        assert main(argv) == 1
        assert "missing.yaml" in capsys.readouterr().err


def test_commands_with_sub_commands_still_parse(capsys):
    assert main(["fonts", "list"]) == 0


# a command printing 200,000 lines, or (waiting for its stdin to close first) one line that
# stays in stdout's buffer until the command returns
FLOOD = """
import sys

import pytest


def configure(parser):
    pass


def run(args):
    if "wait" in sys.argv:
        sys.stdin.read()
        print("late")
        return 0
    for i in range(200_000):
        print(i)
    return 0
"""


@pytest.mark.parametrize("case", ["while printing", "after printing into the buffer"])
def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(tmp_path, case):
    (tmp_path / "flood.py").write_text(FLOOD)
    script = "import sys; from krocr import cli; cli.COMMANDS['flood'] = ('flood', ''); sys.exit(cli.main(['flood']))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as in a pipe
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    argv = [sys.executable, "-c", script, *(["wait"] if case != "while printing" else [])]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if case == "while printing":
        assert process.stdout.readline() == b"0\n"
    process.stdout.close()  # as `| head -1` does: what is left cannot be written
    _, stderr = process.communicate(timeout=60)  # closes stdin: the waiting command prints
    assert (process.returncode, stderr) == (1, b"")
