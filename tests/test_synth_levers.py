"""``krocr synth --without fonts,text,looks``: issue 27's levers switched off one by one, for
its item 6 (each measured at equal CPU time). Each lever takes away only what issue 27 added,
the choice is recorded in the summary, and the output stays deterministic."""

from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np
import pytest

from krocr.charset import korean_charset
from krocr.commands.synth import configure, run
from krocr.data.store import CacheReader
from krocr.errors import ConfigError
from krocr.synth import text_forms
from krocr.synth.fonts import ISSUE27_FONT_PACKAGES, discover_fonts, scan_fonts
from krocr.synth.generate import LEVERS, SynthOptions, generate
from krocr.synth.render import LOOKS, RenderConfig
from krocr.synth.text import KOREAN_SHARES, KOREAN_SIGN_SHARES, TextConfig, TextSource

pytestmark = pytest.mark.skipif(not discover_fonts(), reason="no fonts under /usr/share/fonts")

COUNT, SEED = 24, 11
FORM_KINDS = frozenset(text_forms.FORM_MAKERS)


def lmdb_contents(path):
    reader = CacheReader(path)
    return [reader.raw(i) for i in range(len(reader))], reader.kinds()


def summary_of(out):
    return json.loads((out / "synth_summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same Korean job as it is, with the looks off, and with every lever off (twice: one
    worker and the levers in one order, two workers and another order)."""
    jobs = {
        "default": ((), 1),
        "looks": (("looks",), 1),
        "none": (("fonts", "text", "looks"), 1),
        "none again": (("looks", "text", "fonts"), 2),
    }
    outs = {}
    for name, (without, workers) in jobs.items():
        out = tmp_path_factory.mktemp(name.replace(" ", "_"))
        generate(SynthOptions(out=out, lang="ko", count=COUNT, seed=SEED, workers=workers, without=without))
        outs[name] = out
    return outs


# ---- options ---------------------------------------------------------------------------------
def parse(*options):
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(["--count", "1", "--out", "x", *options])


def test_levers_parse_from_a_comma_list():
    assert parse().without == ()
    assert parse("--without", "fonts").without == ("fonts",)
    assert parse("--without", "fonts, text,looks").without == ("fonts", "text", "looks")
    assert LEVERS == ("fonts", "text", "looks")


@pytest.mark.parametrize(
    "value, message",
    [
        ("fonts,colours", r"unknown lever 'colours'; the levers are fonts, text, looks"),
        ("", r"unknown lever ''; the levers are fonts, text, looks"),
        ("text,text", r"--without names a lever twice: text$"),
    ],
)
def test_bad_levers_are_refused_before_rendering(tmp_path, value, message):
    parser = argparse.ArgumentParser()
    configure(parser)
    with pytest.raises(ConfigError, match=message):
        run(parser.parse_args(["--count", "1", "--out", str(tmp_path / "out"), "--without", value]))
    assert not (tmp_path / "out").exists()


def test_levers_apply_to_crops_not_scenes(tmp_path):
    with pytest.raises(ConfigError, match=r"--without applies to crops"):
        SynthOptions(out=tmp_path, scenes=True, without=("looks",))


# ---- what each lever switches off ------------------------------------------------------------
def test_the_summary_records_the_levers_in_one_order(runs):
    assert summary_of(runs["default"])["config"]["without"] == []
    assert summary_of(runs["looks"])["config"]["without"] == ["looks"]
    assert summary_of(runs["none"])["config"]["without"] == ["fonts", "text", "looks"]
    assert summary_of(runs["none again"])["config"]["without"] == ["fonts", "text", "looks"]
    assert summary_of(runs["none"])["config"]["text"]["forms"] is False
    assert summary_of(runs["default"])["config"]["text"]["forms"] is True


def test_without_fonts_draws_only_from_the_designs_before_issue_27(runs):
    added = {face.name for face in scan_fonts().faces if face.package in ISSUE27_FONT_PACKAGES}
    if not added:
        pytest.skip("neither fonts-noto-cjk-extra nor the npm fonts are installed")
    before = {face.design for face in scan_fonts(exclude=ISSUE27_FONT_PACKAGES).faces}
    default, without = summary_of(runs["default"])["fonts"], summary_of(runs["none"])["fonts"]
    assert added & set(default["available"])  # the pool as it is holds them …
    assert not added & set(without["available"]) and not added & set(without["used"])  # … this one does not
    assert set(without["available"]) == set(default["available"]) - added  # and lacks nothing else
    reader = CacheReader(runs["none"] / "train.lmdb")
    assert {reader[i][2].removeprefix("synth-ko/") for i in range(len(reader))} <= before


def test_excluded_packages_leave_the_other_faces_in_their_order():
    every = scan_fonts()
    kept = scan_fonts(exclude=ISSUE27_FONT_PACKAGES)
    assert kept.faces == tuple(f for f in every.faces if f.package not in ISSUE27_FONT_PACKAGES)


def test_without_text_draws_no_menu_label_or_document_kinds(runs):
    default, without = summary_of(runs["default"])["kinds"], summary_of(runs["none"])["kinds"]
    assert FORM_KINDS & set(default)  # the stream as it is draws them at this seed …
    assert not FORM_KINDS & set(without)  # … the signboard stream never
    assert not FORM_KINDS & set(CacheReader(runs["none"] / "train.lmdb").kinds())


def test_the_signboard_stream_keeps_its_own_shares():
    source = TextSource(korean_charset(), TextConfig(forms=False), np.random.default_rng(2))
    kinds = Counter(source()[1] for _ in range(4000))
    assert set(kinds) == set(KOREAN_SIGN_SHARES) | {"rare", "long"}
    assert set(KOREAN_SIGN_SHARES) == set(KOREAN_SHARES) - FORM_KINDS
    everyday = sum(n for kind, n in kinds.items() if kind in KOREAN_SIGN_SHARES)
    # the shares from before the forms (word 0.24), not today's renormalised (0.16 / 0.78 = 0.205)
    assert abs(kinds["word"] / everyday - 0.24) < 0.02


def test_without_looks_never_draws_a_new_look_and_keeps_the_older_ones(runs):
    default, without = summary_of(runs["default"]), summary_of(runs["looks"])
    assert default["looks"] and without["looks"] == {}  # every crop's looks, counted
    render, unchanged = without["config"]["render"], default["config"]["render"]
    assert all(render[look] == 0 for look in LOOKS if look != "photo")
    assert [kind for kind, _ in render["panels"]] == [k for k, _ in RenderConfig().panels if k != "photo"]
    older = set(unchanged) - set(LOOKS) - {"panels"}
    assert {name: render[name] for name in older} == {name: unchanged[name] for name in older}
    # fonts and texts are drawn before the looks: the same labels, kinds and designs, other images
    default_crops, default_kinds = lmdb_contents(runs["default"] / "train.lmdb")
    crops, kinds = lmdb_contents(runs["looks"] / "train.lmdb")
    assert kinds == default_kinds and [c[1:] for c in crops] == [c[1:] for c in default_crops]
    assert [c[0] for c in crops] != [c[0] for c in default_crops]


# ---- determinism -----------------------------------------------------------------------------
def test_same_seed_and_levers_give_the_same_crops_whatever_the_order_and_worker_count(runs):
    assert lmdb_contents(runs["none"] / "train.lmdb") == lmdb_contents(runs["none again"] / "train.lmdb")
    assert lmdb_contents(runs["none"] / "train.lmdb") != lmdb_contents(runs["default"] / "train.lmdb")
