"""The reproduction scripts in references/ parse, and say how to call them when called wrongly."""

import subprocess
from pathlib import Path

import pytest

REFERENCES = Path(__file__).resolve().parents[1] / "references"


@pytest.mark.parametrize("script", sorted(REFERENCES.glob("*.sh")), ids=lambda p: p.name)
def test_script_parses(script):
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0


def test_evaluate_recognizer_without_arguments_prints_its_usage_and_fails():
    done = subprocess.run(["bash", str(REFERENCES / "evaluate_recognizer.sh")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("Usage: references/evaluate_recognizer.sh WEIGHTS OUT [BASELINE]")
    assert "paired McNemar" in done.stderr and "set -euo" not in done.stderr
