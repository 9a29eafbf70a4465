"""The README's five-minute tour runs as written: every command of its bash block, in a
fresh directory that holds only the repository's examples/ and configs/."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Five-minute tour", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's tour has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("source ")]


def test_the_tour_names_the_commands_it_shows():
    names = {shlex.split(line)[1] for line in tour_commands() if shlex.split(line)[0] == "krocr"}
    assert {"read", "eval", "synth", "train", "report", "export"} <= names


def test_every_tour_command_runs_as_written(tmp_path):
    for name in ("examples", "configs"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in tour_commands():
        result = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert (tmp_path / "runs/tour/report.html").is_file()
    readings = subprocess.run(
        ["krocr", "read", "examples/crops/"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(readings) == len(list((ROOT / "examples/crops").glob("*.png")))
