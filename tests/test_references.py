"""The reproduction scripts in references/ parse, and say how to call them when called wrongly."""

import subprocess
from pathlib import Path

REFERENCES = Path(__file__).resolve().parents[1] / "references"


SCRIPTS = ["evaluate_recognizer.sh", "evaluation_sets.sh"]


def test_every_script_is_listed_and_parses():
    assert sorted(p.name for p in REFERENCES.glob("*.sh")) == SCRIPTS
    for name in SCRIPTS:
        assert subprocess.run(["bash", "-n", str(REFERENCES / name)], capture_output=True).returncode == 0, name


def test_evaluate_recognizer_without_arguments_prints_its_usage_and_fails():
    done = subprocess.run(["bash", str(REFERENCES / "evaluate_recognizer.sh")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("Usage: references/evaluate_recognizer.sh WEIGHTS OUT [BASELINE]")
    assert "paired McNemar" in done.stderr and "set -euo" not in done.stderr


def test_a_baseline_without_a_set_is_refused_before_any_reading(tmp_path):
    (tmp_path / "base" / "real_greedy").mkdir(parents=True)
    (tmp_path / "base" / "real_greedy" / "predictions.csv").write_text("item,truth,prediction\n")
    done = subprocess.run(
        [
            "bash",
            str(REFERENCES / "evaluate_recognizer.sh"),
            "w.safetensors",
            str(tmp_path / "out"),
            str(tmp_path / "base"),
        ],
        capture_output=True,
        text=True,
        cwd=REFERENCES.parent,
        env={"PATH": "/usr/bin:/bin", "KROCR": "/bin/true"},  # never called: the check comes first
    )
    assert done.returncode == 2 and "has no real/predictions.csv" in done.stderr
    assert not (tmp_path / "out").exists()
