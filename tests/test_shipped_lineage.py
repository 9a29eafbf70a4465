import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("shipped_lineage", ROOT / "benchmarks" / "shipped_lineage.py")
shipped_lineage = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = shipped_lineage  # dataclasses look their module up there
_SPEC.loader.exec_module(shipped_lineage)


def _full_history() -> bool:
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True)
    return shallow.returncode == 0 and shallow.stdout.strip() == "false"


@pytest.mark.skipif(not _full_history(), reason="needs a git clone with full history")
def test_every_shipped_korean_version_has_its_cpu_minutes():
    versions = shipped_lineage.shipped_versions()  # exits if a shipped version lacks its minutes
    assert [v.name for v in versions[:2]] == ["v0", "v1"]
    assert versions[0].commit.startswith("7802666")  # v0 as docs/models.md names it
    minutes = [v.cpu_minutes for v in versions]
    assert minutes == sorted(set(minutes)), "each version continues the one before it"
