import pytest
from benchmark_modules import load_benchmark

common = load_benchmark("common")


@pytest.fixture
def doc(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n<!-- other:start -->\n## Other\n\nkept\n<!-- other:end -->\n", encoding="utf-8")
    return path


def on_cpu(monkeypatch, name):
    monkeypatch.setattr(common, "cpu_description", lambda: name)


def test_machine_key_is_a_slug_of_the_cpu_model_and_isa(monkeypatch):
    on_cpu(monkeypatch, "Intel(R) Xeon(R) Processor")
    assert common.machine_key() == "intel-xeon-processor"
    on_cpu(monkeypatch, "AMD EPYC (AVX-512 BF16)")
    assert common.machine_key() == "amd-epyc-avx-512-bf16"
    on_cpu(monkeypatch, "AMD EPYC 7B13 64-Core Processor")
    assert common.machine_key() == "amd-epyc-7b13-64-core-processor"
    on_cpu(monkeypatch, "(R)")
    assert common.machine_key() == "unknown-cpu"


def test_per_machine_sections_sit_side_by_side_and_each_is_rewritten(monkeypatch, doc):
    on_cpu(monkeypatch, "Intel(R) Xeon(R) Processor")
    common.write_section("speed", "Speed", "intel 1", doc=doc, per_machine=True)
    on_cpu(monkeypatch, "AMD EPYC")
    common.write_section("speed", "Speed", "amd 1", doc=doc, per_machine=True)
    common.write_section("speed", "Speed", "amd 2", doc=doc, per_machine=True)
    text = doc.read_text(encoding="utf-8")
    assert "intel 1" in text and "amd 2" in text and "amd 1" not in text and "kept" in text
    assert "## Speed (AMD EPYC)" in text and "## Speed (Intel(R) Xeon(R) Processor)" in text
    assert text.index("speed@intel-xeon-processor:end") < text.index("speed@amd-epyc:start")


def test_a_new_machine_goes_beside_its_siblings_not_at_the_end(monkeypatch, doc):
    on_cpu(monkeypatch, "Intel(R) Xeon(R) Processor")
    common.write_section("speed", "Speed", "intel", doc=doc, per_machine=True)
    common.write_section("later", "Later", "another benchmark", doc=doc)
    on_cpu(monkeypatch, "AMD EPYC")
    common.write_section("speed", "Speed", "amd", doc=doc, per_machine=True)
    text = doc.read_text(encoding="utf-8")
    assert text.index("amd") < text.index("another benchmark")


def test_a_plain_section_that_shares_the_prefix_is_no_sibling(monkeypatch, doc):
    common.write_section("speed-extra", "Extra", "plain", doc=doc)
    common.write_section("later", "Later", "another benchmark", doc=doc)
    on_cpu(monkeypatch, "AMD EPYC")
    common.write_section("speed", "Speed", "amd", doc=doc, per_machine=True)
    text = doc.read_text(encoding="utf-8")
    assert text.index("another benchmark") < text.index("amd")  # appended, not slipped in after speed-extra


def test_a_plain_section_is_replaced_whatever_the_machine(monkeypatch, doc):
    on_cpu(monkeypatch, "Intel(R) Xeon(R) Processor")
    common.write_section("accuracy", "Accuracy", "first", doc=doc)
    on_cpu(monkeypatch, "AMD EPYC")
    common.write_section("accuracy", "Accuracy", "second", doc=doc)
    text = doc.read_text(encoding="utf-8")
    assert "first" not in text and text.count("accuracy:start") == 1


def test_publish_prints_the_stamped_body_or_writes_the_section(monkeypatch, capsys):
    written = []
    monkeypatch.setattr(common, "write_section", lambda *args, **kwargs: written.append((args, kwargs)))
    common.publish("key", "Title", "| a |", write=False)
    out = capsys.readouterr().out
    assert out.startswith("*") and common.machine() in out and out.rstrip().endswith("| a |")
    assert written == []
    common.publish("key", "Title", "| a |", write=True, per_machine=True)
    assert written == [(("key", "Title", "| a |"), {"per_machine": True})]
    assert capsys.readouterr().out == ""
