"""The Recognizer on a tiny randomly initialised slim CRNN (no trained weights needed)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from krocr.charset import Charset, korean_charset
from krocr.data.columns import unstack_column
from krocr.data.images import read_image
from krocr.errors import CheckpointError, DataError, KrocrError
from krocr.inference.condensed import CONDENSED_MARGIN, condensed_min_ems, stretched
from krocr.inference.recognizer import Layout, Reading, Recognizer
from krocr.model.config import output_length
from krocr.model.crnn import CRNN, CRNNConfig
from krocr.model.preprocess import PreprocessConfig, preprocess, to_gray
from krocr.model.weights import save_weights

SYMBOLS = "가나다라마바사abc "


def make_weights(path: Path, charset: Charset | None = None) -> Path:
    """A random slim CRNN saved as a krocr weights file (fixed-width 256 preprocessing)."""
    charset = charset or Charset(tuple(SYMBOLS))
    torch.manual_seed(0)
    save_weights(path, CRNN(CRNNConfig(num_classes=charset.num_classes, variant="slim")), charset, PreprocessConfig())
    return path


def word_image(width: int, height: int = 40, seed: int = 0) -> np.ndarray:
    """An RGB crop with dark random strokes on a light background."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 225, np.uint8)
    for x in range(4, width - 6, 9):
        image[height // 4 : 3 * height // 4, x : x + rng.integers(2, 6)] = rng.integers(0, 90)
    return image


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return make_weights(tmp_path_factory.mktemp("weights") / "tiny.safetensors")


@pytest.fixture(scope="module")
def recognizer(weights) -> Recognizer:
    return Recognizer(weights)


def test_path_pil_and_array_inputs_read_the_same(recognizer, tmp_path):
    path = tmp_path / "crop.png"
    Image.fromarray(word_image(150)).save(path)
    by_path = recognizer.read(path)
    assert isinstance(by_path, Reading) and 0.0 <= by_path.confidence <= 1.0
    assert recognizer.read(str(path)) == by_path
    with Image.open(path) as pil:
        assert recognizer.read(pil) == by_path
    assert recognizer.read(read_image(path)) == by_path
    assert recognizer.read([path, read_image(path)]) == [by_path, by_path]


def test_batches_by_width_and_restores_input_order(weights):
    """Short crops pad to 256, long ones keep their width; batch_size 2 sorts them into two
    batches of equal width, so every result equals reading the crop alone."""
    widths = [100, 600, 120, 600]  # at height 40 → 80, 480, 96, 480 px wide at height 32
    images = [word_image(w, seed=i) for i, w in enumerate(widths)]
    batched = Recognizer(weights, batch_size=2).read(images)
    alone = [Recognizer(weights, batch_size=1).read(image) for image in images]
    assert [r.text for r in batched] == [r.text for r in alone]
    assert [r.raw for r in batched] == [r.raw for r in alone]
    np.testing.assert_allclose([r.confidence for r in batched], [r.confidence for r in alone], rtol=1e-4)
    assert [len(r.raw) for r in batched] == [output_length(w) for w in (256, 480, 256, 480)]


def test_fixed_width_batching_equals_one_by_one(weights):
    images = [word_image(w, seed=w) for w in (60, 300, 1000, 200, 700)]
    fixed = Recognizer(weights, batch_size=2, width_mode="fixed")
    batched = fixed.read(images)
    assert [r.text for r in batched] == [fixed.read(image).text for image in images]
    assert {len(r.raw) for r in batched} == {output_length(256)}


def test_natural_width_keeps_long_lines_and_fixed_squeezes_them(weights):
    line = word_image(1250, height=50)  # 800 px wide at height 32
    assert Recognizer(weights).prepare(line).shape == (1, 32, 800)
    assert Recognizer(weights, width_mode="fixed").prepare(line).shape == (1, 32, 256)


def test_beam_decoder_and_bf16_run(weights):
    image = word_image(200)
    greedy = Recognizer(weights).read(image)
    beam = Recognizer(weights, decoder="beam", beam_width=4).read(image)
    assert beam.raw == greedy.raw and 0.0 <= beam.confidence <= 1.0
    bf16 = Recognizer(weights, precision="bf16").read(image)
    assert len(bf16.raw) == len(greedy.raw)


def test_bf16_on_a_cpu_that_emulates_it_warns_but_reads(weights, monkeypatch):
    monkeypatch.setattr("krocr.hardware.cpu_supports_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16") as caught:
        reader = Recognizer(weights, precision="bf16")
    assert caught[0].filename == __file__  # points at the caller, not at krocr
    assert len(reader.read(word_image(200)).raw) == len(Recognizer(weights).read(word_image(200)).raw)


def test_a_vertical_column_is_read_unstacked_and_turned(recognizer):
    line = word_image(200)  # one line, its first character on the left
    column = np.ascontiguousarray(np.rot90(line, -1))  # turned back 90°: first character on top
    assert column.shape[0] >= 1.5 * column.shape[1]
    layouts = recognizer.prepare_layouts(column)
    assert [layout.name for layout in layouts] == ["unstacked", "turned"]
    unstacked, turned = (layout.pixels for layout in layouts)
    assert turned.tolist() == recognizer.prepare(line).tolist()
    assert unstacked.tolist() == preprocess(unstack_column(to_gray(column)), recognizer.preprocess).tolist()
    assert recognizer.prepare(column).tolist() == unstacked.tolist()
    readings = recognizer.recognize([unstacked, turned])
    reading = recognizer.read(column)
    assert replace(reading, layout="as is") == readings[["unstacked", "turned"].index(reading.layout)]
    glyph = np.ascontiguousarray(line[:, :28])  # 1.4× taller than wide, as one tall glyph: read as it is
    as_is, wide = recognizer.prepare_layouts(glyph)  # as it is, and stretched: not a column's layouts
    assert as_is.pixels.tolist() == preprocess(to_gray(glyph), recognizer.preprocess).tolist()
    assert wide.min_ems > 0
    assert len(recognizer.prepare_layouts(glyph, column=True)) == 2  # a box known to be a column
    assert len(recognizer.prepare_layouts(column, column=False)) == 2  # a region known to be a line: also stretched


def test_a_column_layout_that_cannot_be_read_leaves_the_other(recognizer, monkeypatch):
    column = np.ascontiguousarray(np.rot90(word_image(200), -1))
    monkeypatch.setattr("krocr.inference.recognizer.unstack_column", lambda gray: gray[:2])  # too thin to read
    [turned] = recognizer.prepare_layouts(column)
    assert turned.name == "turned"
    assert turned.pixels.tolist() == recognizer.prepare(np.rot90(column)).tolist()
    with pytest.raises(DataError, match="3 px high"):  # turned, a 3-px-wide column is 3 px high
        recognizer.prepare_layouts(np.full((60, 3), 30, np.uint8))


def greedy_readings(recognizer, monkeypatch, readings: list[Reading]) -> None:
    """The recognizer's greedy readings of its next crops are ``readings``, in the order they
    are read: every input's first layout, then the later layouts that could win."""
    stream = iter(readings)
    monkeypatch.setattr(recognizer, "crop_logits", lambda arrays: [np.zeros((1, 1), np.float32)] * len(arrays))
    monkeypatch.setattr(recognizer, "decode_greedy", lambda logits, thresholded=True: [next(stream)])


def test_recognize_layouts_keeps_each_inputs_most_confident_reading(recognizer, monkeypatch):
    greedy_readings(recognizer, monkeypatch, [Reading(f"r{i}", c) for i, c in enumerate([0.2, 0.9, 0.7, 0.9, 0.7])])
    layouts = [[Layout(np.zeros(1))] * 2, [Layout(np.zeros(1))], [Layout(np.zeros(1))] * 2]
    # firsts r0, r1, r2; then the first input's second layout r3 and the third's r4 (a tie: the first stays)
    assert recognizer.recognize_layouts(layouts) == [Reading("r3", 0.9), Reading("r1", 0.9), Reading("r2", 0.7)]


def test_a_later_layout_is_read_only_where_it_could_win(recognizer, monkeypatch):
    read: list[int] = []
    monkeypatch.setattr(
        recognizer, "crop_logits", lambda arrays: read.append(len(arrays)) or [np.zeros((1, 1))] * len(arrays)
    )
    stream = iter([Reading("우리은행", 0.95), Reading("", 0.99), Reading("약국", 0.5)])
    monkeypatch.setattr(recognizer, "decode_greedy", lambda logits, thresholded=True: [next(stream)])
    stretched_too = [Layout(np.zeros(1)), Layout(np.zeros(1), min_ems=1.0, handicap=0.1)]
    # sure at 0.95: its stretched layout could not beat it by 0.1 and is not read; an empty first is
    assert recognizer.recognize_layouts([stretched_too, stretched_too]) == [
        Reading("우리은행", 0.95),
        Reading("약국", 0.5),
    ]
    assert read == [2, 1]


def test_recognize_layouts_prefers_a_reading_that_says_something(recognizer, monkeypatch):
    greedy_readings(recognizer, monkeypatch, [Reading("", 0.99), Reading("약국", 0.4)])
    assert recognizer.recognize_layouts([[Layout(np.zeros(1))] * 2]) == [Reading("약국", 0.4)]


def test_a_crop_is_also_read_stretched_for_condensed_lettering(weights):
    crop = word_image(60)  # 1.5 heights wide
    reader = Recognizer(weights)
    as_is, wide = reader.prepare_layouts(crop)
    assert (as_is.name, wide.name) == ("as is", "stretched")
    assert as_is.min_ems == 0 and as_is.pixels.tolist() == preprocess(to_gray(crop), reader.preprocess).tolist()
    assert wide.pixels.tolist() == preprocess(stretched(to_gray(crop)), reader.preprocess).tolist()
    assert wide.min_ems == condensed_min_ems(to_gray(crop)) == 3.0  # 1.5 heights at tau 0.5
    assert len(Recognizer(weights, stretch_condensed=False).prepare_layouts(crop)) == 1


def test_a_crop_too_long_to_read_stretched_is_read_as_it_is(weights):
    reader = Recognizer(weights)
    longest = word_image(reader.preprocess.max_width * 40 // reader.preprocess.height, height=40)
    [as_is] = reader.prepare_layouts(longest)  # exactly the widest the model reads: not twice that
    assert as_is.pixels.shape[-1] == reader.preprocess.max_width


def test_a_stretched_reading_counts_only_when_its_text_is_long_for_the_crop(recognizer, monkeypatch):
    narrow = [Layout(np.zeros(1)), Layout(np.zeros(1), min_ems=3.0, name="stretched")]  # 1.5 heights wide
    greedy_readings(recognizer, monkeypatch, [Reading("우리", 0.6), Reading("우리은", 0.9)])
    assert recognizer.recognize_layouts([narrow]) == [Reading("우리", 0.6)]  # 3 ems: ordinary proportions
    greedy_readings(recognizer, monkeypatch, [Reading("우리", 0.6), Reading("우리은행", 0.9)])
    # 4 ems in 1.5 heights, and the reading says which layout it came from
    assert recognizer.recognize_layouts([narrow]) == [Reading("우리은행", 0.9, layout="stretched")]
    greedy_readings(recognizer, monkeypatch, [Reading("우리", 0.95), Reading("우리은행", 0.9)])
    assert recognizer.recognize_layouts([narrow]) == [Reading("우리", 0.95)]  # the more confident stays
    greedy_readings(recognizer, monkeypatch, [Reading("우리", 0.6), Reading("우리은행", 0.65)])
    assert recognizer.recognize_layouts([[narrow[0], replace(narrow[1], handicap=0.1)]]) == [Reading("우리", 0.6)]


def test_a_reading_below_min_confidence_still_holds_the_stretch_to_its_margin(recognizer, monkeypatch):
    narrow = [Layout(np.zeros(1)), Layout(np.zeros(1), min_ems=3.0, handicap=0.1)]
    monkeypatch.setattr(recognizer, "min_confidence", 0.5)
    greedy_readings(recognizer, monkeypatch, [Reading("우리", 0.49), Reading("우리은행", 0.5)])
    # chosen on what the frames show (the stretch is not surer by 0.1), then emptied below 0.5
    assert recognizer.recognize_layouts([narrow]) == [Reading("", 0.49)]


def test_fixed_width_reading_is_not_stretched(weights):
    assert len(Recognizer(weights, width_mode="fixed").prepare_layouts(word_image(60))) == 1


def test_the_stretched_layout_carries_the_condensed_margin(weights):
    [_, wide] = Recognizer(weights).prepare_layouts(word_image(60))
    assert wide.handicap == CONDENSED_MARGIN > 0


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((1, 80), np.uint8), "1 px high"),
        (np.zeros((0, 0), np.uint8), "empty"),
        (np.zeros((20, 30), np.float32), "uint8"),
        (12, "cannot read a int"),
    ],
)
def test_unusable_inputs_raise_data_error(recognizer, bad, message):
    with pytest.raises(DataError, match=message):
        recognizer.read(bad)


def test_corrupt_and_missing_files_name_the_file(recognizer, tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match="bad.png"):
        recognizer.read(tmp_path / "bad.png")
    with pytest.raises(DataError, match="nothing.png"):
        recognizer.read([tmp_path / "nothing.png"])


def test_missing_shipped_model_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr("krocr.model.registry.WEIGHTS_DIR", tmp_path)
    with pytest.raises(CheckpointError, match="missing from this installation"):
        Recognizer()
    with pytest.raises(CheckpointError, match="pass a weights file"):
        Recognizer("ko", engine="torch")


def test_bad_settings_are_refused(weights):
    with pytest.raises(KrocrError, match="batch size"):
        Recognizer(weights, batch_size=0)
    with pytest.raises(KrocrError, match="decoder"):
        Recognizer(weights, decoder="viterbi")  # type: ignore[arg-type]
    with pytest.raises(KrocrError, match="device"):
        Recognizer(weights, device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(KrocrError, match="CUDA"):
            Recognizer(weights, device="cuda")


def test_slim_korean_model_loads_within_a_second(tmp_path):
    path = make_weights(tmp_path / "slim.safetensors", korean_charset())
    start = time.perf_counter()
    Recognizer(path)
    assert time.perf_counter() - start < 1.0


# ---- the onnx engine ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def onnx_weights(weights) -> Path:
    from krocr.inference.export import export_onnx

    return export_onnx(weights, weights.with_suffix(".onnx"))


def test_onnx_engine_reads_like_torch(weights, onnx_weights):
    """Varied widths (padded to 256, natural up to 800 px) batched 3 at a time: only the
    forward pass differs, so texts, raw frames and confidences agree."""
    images = [word_image(w, seed=i) for i, w in enumerate((60, 1250, 100, 300, 600, 200, 900))]
    by_torch = Recognizer(weights, batch_size=3).read(images)
    onnx = Recognizer(onnx_weights, batch_size=3, engine="onnx")
    by_onnx = onnx.read(images)
    assert onnx.model is None and onnx.engine == "onnx" and onnx.charset == Recognizer(weights).charset
    assert any(r.text for r in by_torch) and len({len(r.raw) for r in by_torch}) > 2  # a comparison worth making
    assert [r.text for r in by_onnx] == [r.text for r in by_torch]
    assert [r.raw for r in by_onnx] == [r.raw for r in by_torch]
    np.testing.assert_allclose([r.confidence for r in by_onnx], [r.confidence for r in by_torch], atol=1e-4)
    beam = Recognizer(onnx_weights, engine="onnx", decoder="beam", beam_width=4).read(images[0])
    assert beam.raw == by_torch[0].raw


def test_int8_onnx_engine_reads(weights, recognizer, tmp_path):
    from krocr.inference.export import export_onnx

    calibration = [recognizer.prepare(word_image(width, seed=2))[None] for width in (150, 400)]
    int8 = export_onnx(weights, tmp_path / "q.onnx", int8_calibration=calibration)
    readings = Recognizer(int8, engine="onnx", batch_size=1).read([word_image(150), word_image(700, seed=1)])
    assert all(isinstance(r.text, str) and 0.0 <= r.confidence <= 1.0 for r in readings)
    # 700 px at 40 → 560 at 32, padded to its width bucket (a multiple of 32): 576
    assert [len(r.raw) for r in readings] == [output_length(256), output_length(576)]


def test_auto_engine_reads_onnx_files_and_shipped_models_with_onnxruntime(weights, onnx_weights):
    assert Recognizer(onnx_weights).engine == "onnx"
    assert Recognizer(weights).engine == "torch"
    assert Recognizer("ko").engine == "onnx" and Recognizer("ko", precision="bf16").engine == "torch"


def test_onnx_engine_refuses_what_it_cannot_read(weights, onnx_weights, tmp_path):
    with pytest.raises(CheckpointError, match=rf"{weights.name}.*krocr export {weights}"):
        Recognizer(weights, engine="onnx")
    with pytest.raises(CheckpointError, match="--engine onnx"):
        Recognizer(onnx_weights, engine="torch")
    with pytest.raises(KrocrError, match="precision 'bf16' is for the torch engine"):
        Recognizer(onnx_weights, engine="onnx", precision="bf16")
    with pytest.raises(KrocrError, match="CPU only"):
        Recognizer(onnx_weights, engine="onnx", device="cuda")
    with pytest.raises(KrocrError, match="engine"):
        Recognizer(weights, engine="tensorrt")  # type: ignore[arg-type]
    (tmp_path / "garbage.onnx").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="garbage.onnx: not an ONNX model"):
        Recognizer(tmp_path / "garbage.onnx", engine="onnx")
    with pytest.raises(CheckpointError, match="missing.onnx: ONNX file not found"):
        Recognizer(tmp_path / "missing.onnx", engine="onnx")


@pytest.mark.parametrize("engine", ["torch", "onnx"])
def test_a_crops_reading_does_not_depend_on_its_companions(weights, onnx_weights, engine):
    # padding to the widest crop of a batch reached the bidirectional LSTM: batch 64 and
    # batch 1 gave other confidences (and sometimes texts) for the same crops
    crops = [word_image(int(w), seed=i) for i, w in enumerate(np.linspace(60, 900, 40))]
    path = onnx_weights if engine == "onnx" else weights
    alone = Recognizer(path, engine=engine, batch_size=1).read(crops)
    together = Recognizer(path, engine=engine, batch_size=64).read(crops)
    assert [r.text for r in alone] == [r.text for r in together]
    assert [r.confidence for r in alone] == pytest.approx([r.confidence for r in together], abs=1e-5)
    assert [r.raw for r in alone] == [r.raw for r in together]


def test_the_shipped_beam_confidence_is_greedys_where_their_texts_agree():
    crops = sorted((Path(__file__).parents[1] / "examples" / "crops").glob("*.png"))
    greedy = Recognizer("ko", language_model=None).read(crops)
    beam = Recognizer("ko", language_model=None, decoder="beam").read(crops)
    agreeing = [(g, b) for g, b in zip(greedy, beam) if g.text == b.text]
    assert agreeing  # the tour's crops are clear: the two decoders read most of them alike
    assert all(b.confidence == g.confidence for g, b in agreeing)


def test_the_beam_keeps_the_layout_its_greedy_reading_came_from(weights):
    reader = Recognizer(weights, decoder="beam")
    logits = np.random.default_rng(0).normal(size=(16, reader.charset.num_classes)).astype(np.float32)
    [reading] = reader.finish([logits], [Reading("가", 0.5, layout="stretched")])
    assert reading.layout == "stretched"


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_a_models_score_of_its_own_reading_is_that_readings_confidence(weights, decoder):
    reader = Recognizer(weights, decoder=decoder)
    rows, greedy = reader.choose_layouts([reader.prepare_layouts(word_image(120, seed=s)) for s in range(4)])
    for row, reading in zip(rows, reader.finish(rows, greedy)):
        assert reader.text_confidence(row, reading.text) == reading.confidence


def test_a_text_the_model_cannot_spell_or_fit_scores_zero(recognizer):
    [row] = recognizer.crop_logits([recognizer.prepare(word_image(120))])
    assert recognizer.text_confidence(row, "가나") > 0.0
    assert recognizer.text_confidence(row, "가X") == 0.0  # X is not in the charset
    assert recognizer.text_confidence(row, "가" * (len(row) + 1)) == 0.0  # more letters than frames
