import warnings

import pytest

from krocr import hardware

XEON = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse avx512f avx512_bf16 amx_tile\n"
EPYC = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx2 fma\n"


@pytest.fixture
def cpuinfo(tmp_path):
    def write(text):
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        return path

    return write


def test_bf16_is_native_only_with_avx512_bf16_or_amx(cpuinfo):
    assert hardware.cpu_supports_bf16(cpuinfo(XEON))
    assert not hardware.cpu_supports_bf16(cpuinfo(EPYC))
    assert hardware.cpu_supports_bf16(cpuinfo("flags\t: avx2 amx_bf16\n"))
    assert not hardware.cpu_supports_bf16(cpuinfo("model name\t: no flags line\n"))


def test_cpu_model_reads_the_model_name(cpuinfo, tmp_path):
    assert hardware.cpu_model(cpuinfo(EPYC)) == "AMD EPYC"
    assert hardware.cpu_model(tmp_path / "missing")  # falls back to the platform's name


def test_missing_cpuinfo_means_no_bf16(tmp_path):
    assert not hardware.cpu_supports_bf16(tmp_path / "missing")


def test_emulated_bf16_warns_and_native_does_not(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16.*use fp32"):
        hardware.warn_if_bf16_is_emulated("cpu", "reading")
    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hardware.warn_if_bf16_is_emulated("cpu", "reading")


def test_cpu_description_names_the_widest_isa(cpuinfo):
    assert hardware.cpu_description(cpuinfo(XEON)) == "Intel(R) Xeon(R) Processor (AVX-512 BF16)"
    assert hardware.cpu_description(cpuinfo(EPYC)) == "AMD EPYC (AVX2)"
    assert hardware.cpu_isa(cpuinfo("flags\t: avx512f avx512_bf16 amx_bf16\n")) == "AMX"
    assert hardware.cpu_isa(cpuinfo("flags\t: avx2 avx512f\n")) == "AVX-512"
    assert hardware.cpu_description(cpuinfo("model name\t: Old\nflags\t: sse2\n")) == "Old"
