import os
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


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(tmp_path):
    (tmp_path / "flood.py").write_text(
        "def configure(parser):\n    pass\n\n\n"
        "def run(args):\n    for i in range(200_000):\n        print(i)\n    return 0\n"
    )
    script = "import sys; from krocr import cli; cli.COMMANDS['flood'] = ('flood', ''); sys.exit(cli.main(['flood']))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout.readline() == "0\n"
    process.stdout.close()  # as `| head -1` does: the rest of the 200,000 lines cannot be written
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 1 and stderr == ""
