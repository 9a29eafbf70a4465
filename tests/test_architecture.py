"""The package's architecture, kept by tests: layers import one way (import-linter's
contract in pyproject.toml), no module imports itself through others, and the quick paths
(``import krocr``, ``krocr read``) load no training stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "lightning", "albumentations", "matplotlib", "onnx", "krocr.training", "krocr.analysis")


def test_layers_import_one_way():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_import_cycles():
    # imports under TYPE_CHECKING only name types for mypy; they load nothing at run time
    graph = grimp.build_graph("krocr", exclude_type_checking_imports=True)
    cycles = sorted(
        f"{importer} → {imported}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported != "krocr" and graph.chain_exists(imported, importer)
    )
    assert not cycles, cycles


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_krocr_loads_nothing_heavy():
    assert _heavy(_modules_after("import krocr")) == []


def test_reading_a_crop_with_the_shipped_model_loads_no_torch_or_training_stack(tmp_path):
    from PIL import Image

    Image.new("L", (96, 32), 255).save(tmp_path / "blank.png")
    code = f"from krocr.cli import main\nmain(['read', {str(tmp_path / 'blank.png')!r}])"
    assert _heavy(_modules_after(code)) == []
