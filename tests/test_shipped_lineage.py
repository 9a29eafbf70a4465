import pytest
from benchmark_modules import load_benchmark

shipped_lineage = load_benchmark("shipped_lineage")


def _full_history() -> bool:
    shallow = shipped_lineage.git("rev-parse", "--is-shallow-repository")
    return shallow.returncode == 0 and shallow.stdout.strip() == "false"


@pytest.mark.skipif(
    not _full_history(), reason="needs a git clone with full history (this checkout is shallow or not a git clone)"
)
def test_every_shipped_korean_version_has_its_cpu_minutes():
    versions = shipped_lineage.shipped_versions()  # exits if a shipped version lacks its minutes
    assert [v.name for v in versions[:2]] == ["v0", "v1"]
    assert versions[0].commit.startswith("7802666")  # v0 as docs/models.md names it
    minutes = [v.cpu_minutes for v in versions]
    assert minutes == sorted(set(minutes)), "each version continues the one before it"
