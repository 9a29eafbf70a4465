"""Render synthetic word crops (or whole scenes) into a dataset directory: :func:`generate`,
the library side of ``krocr synth``; it returns its summary and prints nothing.

Determinism: the texts come from one sequential stream seeded by ``seed`` (in the main
process, because the rare-syllable source keeps a tally), and sample ``i`` (1-based) is
rendered with ``numpy.random.default_rng([seed, i])``, which also picks its font. So the
output depends on the seed and the configuration, never on the number of workers.

Crops go straight into the crop cache that training reads (``DIR/NAME.lmdb``, written by
:class:`krocr.data.store.CacheWriter`: gray, height 32, natural width). With ``val_fraction``
F, every sample whose index crosses a multiple of 1/F goes to ``DIR/val.lmdb`` instead
(evenly spread, exactly ``floor(count * F)`` of them). ``DIR/synth_summary.json`` records
the configuration, counts per text kind, fonts used and skipped, and syllable coverage
(per-syllable counts in ``DIR/syllable_counts.csv``); ``DIR/preview.png`` is a contact
sheet. With ``scenes``, ``count`` scene images and ICDAR 2015 ground truth go to
``DIR/scenes/images`` and ``DIR/scenes/gt`` instead.

``without`` switches off issue 27's levers (:data:`LEVERS`), to measure each (its item 6):
``fonts`` leaves out the faces of :data:`krocr.synth.fonts.ISSUE27_FONT_PACKAGES`, ``text``
draws the Korean signboard stream from before the menu, label and document forms
(``TextConfig.forms`` False), ``looks`` sets the new looks' probabilities to zero
(:meth:`RenderConfig.only_look` with None); everything else stays as it is, and the summary
records the levers switched off and the text and render configuration they led to.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from krocr.charset import Charset, resolve_charset
from krocr.data.store import DEFAULT_HEIGHT, DEFAULT_MAX_WIDTH, CacheWriter
from krocr.errors import ConfigError, repeated
from krocr.model.preprocess import PreprocessConfig, resize_crop
from krocr.progress import SILENT, ProgressHook
from krocr.synth.backgrounds import background_photos, paper_textures
from krocr.synth.fonts import (
    ISSUE27_FONT_PACKAGES,
    FontPool,
    SkippedFont,
    draws_hangul,
    missing_fonts_error,
    scan_fonts,
    split_fonts,
)
from krocr.synth.render import RenderConfig, render
from krocr.synth.scenes import (
    FALLBACKS,
    ILLEGIBLE,
    SceneConfig,
    plan_scene,
    render_scene,
    scene_lines,
    write_icdar2015,
)
from krocr.synth.text import DRAWN_SIGN_SYMBOLS, FileTextSource, TextConfig, TextSource, read_text_lines

TEXT_STREAM = 0x7E47  # seeds the text stream apart from the per-sample generators
CHUNK = 64  # samples per task sent to a worker
DEFAULT_CHARSETS = {"en": "alphabet87", "ko": "korean"}
# issue 27's levers, each of which `without` can switch off: new fonts, menu/label/document text, new looks
LEVERS = ("fonts", "text", "looks")


@dataclass(frozen=True)
class SynthOptions:
    out: Path
    lang: Literal["en", "ko"] = "ko"
    count: int = 1000
    seed: int = 0
    fonts: Literal["train", "heldout"] = "train"
    split: str = "train"
    val_fraction: float = 0.0
    workers: int = 1
    charset: str = ""  # empty: alphabet87 for en, korean for ko
    scenes: bool = False
    overwrite: bool = False
    height: int = DEFAULT_HEIGHT
    max_width: int = DEFAULT_MAX_WIDTH
    text: TextConfig = field(default_factory=TextConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    scene: SceneConfig = field(default_factory=SceneConfig)
    design_weights: tuple[tuple[str, float], ...] = ()  # (font design, multiplier of its sampling weight)
    without: tuple[str, ...] = ()  # issue 27's levers switched off (LEVERS); crops only
    texts: Path | None = None  # a text file whose lines are drawn instead of the text stream; crops only

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ConfigError(f"--count must be at least 1, got {self.count}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")
        if self.split == "val" and self.val_fraction > 0:
            raise ConfigError("--split val together with --val-fraction would write val.lmdb twice")
        twice = repeated(design for design, _ in self.design_weights)
        if twice:
            raise ConfigError(f"--design-weight given twice for {', '.join(map(repr, twice))}")
        unknown = [lever for lever in self.without if lever not in LEVERS]
        if unknown:
            raise ConfigError(f"--without: unknown lever {unknown[0]!r}; the levers are {', '.join(LEVERS)}")
        twice = repeated(self.without)
        if twice:
            raise ConfigError(f"--without names a lever twice: {', '.join(twice)}")
        if self.without and self.scenes:
            raise ConfigError("--without applies to crops (issue 27's levers), not to --scenes")
        if self.texts is not None and (self.scenes or "text" in self.without):
            raise ConfigError("--texts draws crops' texts from a file: not with --scenes or --without text")

    @property
    def charset_name(self) -> str:
        return self.charset or DEFAULT_CHARSETS[self.lang]

    @property
    def source(self) -> str:
        """The source stored with every crop, before ``/`` and the crop's font design."""
        return f"synth-{self.lang}" + ("-heldout" if self.fonts == "heldout" else "")


def is_validation(index: int, fraction: float) -> bool:
    """Sample ``index`` (1-based) goes to val when ``index * fraction`` crosses an integer."""
    return math.floor(index * fraction) > math.floor((index - 1) * fraction)


# ---- worker state ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _WorkerState:
    seed: int
    pool: FontPool
    render: RenderConfig
    scene: SceneConfig
    resize: PreprocessConfig
    scenes_dir: Path | None


_STATE: _WorkerState | None = None


def _init_worker(state: _WorkerState) -> None:
    global _STATE
    _STATE = state
    cv2.setNumThreads(1)  # one process per core already


def _render_crops(
    job: tuple[int, list[tuple[str, str]]],
) -> list[tuple[np.ndarray, str, str, str, str, tuple[str, ...]]]:
    """(gray crop at the cache height, label, font name, font design, text kind, looks drawn)
    for each (text, kind), indices from ``start``."""
    start, texts = job
    state = _STATE
    assert state is not None, "worker not initialized"
    out = []
    for index, (text, kind) in enumerate(texts, start):
        rng = np.random.default_rng([state.seed, index])
        face = state.pool.choose(text, rng)
        assert face is not None, f"no font covers {text!r}"  # the text source accepts only covered texts
        rendered = render(text, face, rng, state.render)
        gray = resize_crop(rendered.image, state.resize)
        out.append((gray, text, face.name, face.design, kind, tuple(rendered.looks)))
    return out


@dataclass(frozen=True)
class _SceneDone:
    """What a worker wrote for one scene, for the summary."""

    words: int
    illegible: int
    generated: int  # words the scene made itself (menu prices)
    fonts: list[str]
    kind: str
    background: str  # "photo" or "procedural"
    fallbacks: dict[str, int]  # what it drew instead of what it wanted (scenes.FALLBACKS)
    unreadable: tuple[str, ...]  # installed files it could not read, one per fallback
    clipped: int  # words made ### because an edge cut their box
    night: bool  # drawn at night


def _render_scenes(job: tuple[int, list[Any]]) -> list[_SceneDone]:
    """Scene images and ground truth written by the worker."""
    start, plans = job
    state = _STATE
    assert state is not None and state.scenes_dir is not None, "worker not initialized"
    out = []
    for index, (plan, texts) in enumerate(plans, start):
        rng = np.random.default_rng([state.seed, index])
        scene = render_scene(plan, texts, state.pool, rng, state.render, state.scene)
        low, high = state.scene.jpeg_quality
        quality = int(rng.integers(low, high + 1))
        cv2.imwrite(
            str(state.scenes_dir / "images" / f"img_{index}.jpg"),
            cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, quality],
        )
        write_icdar2015(state.scenes_dir / "gt" / f"gt_img_{index}.txt", scene.words)
        write_icdar2015(state.scenes_dir / "lines" / f"gt_img_{index}.txt", scene_lines(scene.words))
        out.append(
            _SceneDone(
                len(scene.words),
                sum(w.text == ILLEGIBLE for w in scene.words),
                sum(w.generated for w in scene.words),
                scene.fonts,
                scene.kind,
                scene.background,
                scene.fallbacks,
                scene.unreadable,
                scene.clipped_words,
                scene.night,
            )
        )
    return out


# ---- running jobs in order ---------------------------------------------------------------------
def _ordered(jobs: Iterator[Any], work: Callable[[Any], Any], state: _WorkerState, workers: int) -> Iterator[Any]:
    """Results of ``work`` over ``jobs`` in job order; at most 4 jobs per worker in flight,
    so memory stays bounded whatever the count."""
    if workers == 1:
        _init_worker(state)
        yield from map(work, jobs)
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(state,)) as executor:
        pending: deque[Future] = deque()
        for job in jobs:
            pending.append(executor.submit(work, job))
            if len(pending) >= 4 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _chunks(source: TextSource, count: int, size: int = CHUNK) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    for start in range(1, count + 1, size):
        yield start, [source() for _ in range(min(size, count - start + 1))]


# ---- the whole run -------------------------------------------------------------------------------
def generate(options: SynthOptions, progress: ProgressHook = SILENT) -> dict:
    """Render ``options.count`` crops (or scenes) into ``options.out``.

    Args:
        options: what to render; ``options.text`` takes its language from ``options.lang`` and
            its ``forms`` from ``options.without``, which also switches the other levers.
        progress: hears of every sample rendered.

    Returns:
        The summary it also writes to ``synth_summary.json``.
    """
    started = time.perf_counter()
    charset = resolve_charset(options.charset_name)
    text_config = TextConfig(**{**asdict(options.text), "lang": options.lang, "forms": "text" not in options.without})
    if "looks" in options.without:
        options = replace(options, render=options.render.only_look(None))
    texts = None if options.texts is None else read_text_lines(options.texts, charset, text_config.max_length)
    scan = scan_fonts(exclude=ISSUE27_FONT_PACKAGES if "fonts" in options.without else frozenset())
    found = list(scan.faces)
    faces = split_fonts(found).select(options.fonts)
    if not faces:
        raise missing_fonts_error(options.lang, options.fonts, found)
    chars = "".join(dict.fromkeys("".join(charset.symbols) + DRAWN_SIGN_SYMBOLS))  # ￦ is drawn, labelled ₩
    pool = FontPool.build(faces, chars, design_weights=dict(options.design_weights), workers=options.workers)
    if options.lang == "ko" and not any(map(draws_hangul, pool.drawable)):  # e.g. only Latin fonts installed
        raise missing_fonts_error(options.lang, options.fonts, found, faces)
    rng = np.random.default_rng([options.seed, TEXT_STREAM])
    if texts is None:
        source = TextSource(charset, text_config, rng, accept=pool.covers)
    else:
        source = FileTextSource(charset, text_config, rng, texts, accept=pool.covers)
    options.out.mkdir(parents=True, exist_ok=True)
    scene_stats: dict[str, Any] = {}
    looks: dict[str, int] = {}
    if options.scenes:
        counts, fonts_used, scene_stats = _write_scenes(options, pool, source, progress)
    else:
        counts, fonts_used, looks = _write_crops(options, pool, source, progress)
    elapsed = time.perf_counter() - started
    summary = _summary(options, text_config, charset, pool, source, counts, fonts_used, elapsed, scan.skipped)
    if options.scenes:
        summary["scenes"] = scene_stats
    else:  # crops per look; "photo_missing": a photo panel drawn as texture, no photo installed
        summary["looks"] = looks
    (options.out / "synth_summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    source.counter.to_csv(options.out / "syllable_counts.csv")
    if not options.scenes:
        from krocr.data.preview import (
            write_preview,  # imports albumentations: only when a sheet is drawn
        )

        write_preview(options.out / f"{options.split}.lmdb", options.out / "preview.png", seed=options.seed)
    return summary


def _write_crops(
    options: SynthOptions, pool: FontPool, source: TextSource, progress: ProgressHook
) -> tuple[dict[str, int], Counter, dict[str, int]]:
    resize = PreprocessConfig(height=options.height, width_mode="natural", max_width=options.max_width)
    state = _WorkerState(options.seed, pool, options.render, options.scene, resize, None)
    meta = {
        "synth": {"lang": options.lang, "seed": options.seed, "fonts": options.fonts, "charset": options.charset_name}
    }

    def open_writer(name: str) -> CacheWriter:
        return CacheWriter(
            options.out / name,
            height=options.height,
            max_width=options.max_width,
            overwrite=options.overwrite,
            meta=meta,
        )

    fonts_used: Counter = Counter()
    looks: Counter = Counter()
    train = open_writer(f"{options.split}.lmdb")
    val = open_writer("val.lmdb") if options.val_fraction > 0 else None
    progress.start(f"synth {options.lang}", options.count)
    with train, val if val is not None else nullcontext():
        index = 0
        for results in _ordered(_chunks(source, options.count), _render_crops, state, options.workers):
            for gray, label, font, design, kind, drawn in results:
                index += 1
                writer = val if val is not None and is_validation(index, options.val_fraction) else train
                # design in the source and the text kind let `krocr eval` report accuracy by both
                writer.add(gray, label, f"{options.source}/{design}", kind)
                fonts_used[font] += 1
                looks.update(drawn)
            progress.advance(len(results))
    counts = {options.split: len(train)} | ({"val": len(val)} if val is not None else {})
    return counts, fonts_used, dict(sorted(looks.items()))


def _write_scenes(
    options: SynthOptions, pool: FontPool, source: TextSource, progress: ProgressHook
) -> tuple[dict[str, int], Counter, dict[str, Any]]:
    """Scenes and their ground truth; besides the counts, the scenes per kind and per
    background (photo or drawn; ``photo_fallback``: drawn because no photo is installed,
    ``photo_unreadable``: because the photo drawn could not be read), the other fallbacks
    (document pages on plain paper, photo sign panels drawn as texture; the same two
    reasons), the unreadable files by path, the words an edge cut (``clipped_words``) and the
    scenes drawn at night (``night``)."""
    scenes_dir = options.out / "scenes"
    for sub in ("images", "gt", "lines"):
        (scenes_dir / sub).mkdir(parents=True, exist_ok=True)
    state = _WorkerState(options.seed, pool, options.render, options.scene, PreprocessConfig(), scenes_dir)

    def jobs() -> Iterator[tuple[int, list[Any]]]:
        for start in range(1, options.count + 1, CHUNK // 8):
            batch = []
            for index in range(start, min(start + CHUNK // 8, options.count + 1)):
                plan = plan_scene(np.random.default_rng([options.seed, index, TEXT_STREAM]), options.scene)
                batch.append((plan, [source()[0] for _ in range(plan.text_count)]))
            yield start, batch

    words = illegible = generated = clipped = night = 0
    fonts_used: Counter = Counter()
    kinds: Counter = Counter()
    backgrounds: Counter = Counter()
    fallbacks: Counter = Counter()
    unreadable: Counter = Counter()
    progress.start(f"synth {options.lang} scenes", options.count)
    for results in _ordered(jobs(), _render_scenes, state, options.workers):
        for done in results:
            words += done.words
            illegible += done.illegible
            generated += done.generated
            fonts_used.update(done.fonts)
            kinds[done.kind] += 1
            backgrounds[done.background] += 1
            fallbacks.update(done.fallbacks)
            unreadable.update(done.unreadable)
            clipped += done.clipped
            night += done.night
        progress.advance(len(results))
    backdrop = ("photo_fallback", "photo_unreadable")
    stats = {
        "kinds": dict(sorted(kinds.items())),
        "night": night,  # of them, drawn at night (storefronts, signs, menus)
        "backgrounds": {name: backgrounds[name] for name in ("photo", "procedural")}
        | {name: fallbacks[name] for name in backdrop},
        # document pages on plain paper, photo sign panels drawn as texture
        "fallbacks": {name: fallbacks[name] for name in FALLBACKS if name not in backdrop},
        # installed files that could not be read: path -> fallbacks they caused
        "unreadable_files": dict(sorted(unreadable.items())),
        "photos_installed": len(background_photos()),
        "papers_installed": len(paper_textures()),
        "illegible_words": illegible,
        "clipped_words": clipped,  # of the ###: cut by an edge of their surface or of the image
        "generated_words": generated,
    }
    return {"scenes": options.count, "words": words}, fonts_used, stats


def _summary(
    options: SynthOptions,
    text_config: TextConfig,
    charset: Charset,
    pool: FontPool,
    source: TextSource,
    counts: dict[str, int],
    fonts_used: Counter,
    elapsed: float,
    skipped: Sequence[SkippedFont] = (),
) -> dict:
    chars = "".join(charset.symbols)
    config = {
        "lang": options.lang,
        "count": options.count,
        "seed": options.seed,
        "fonts": options.fonts,
        "split": options.split,
        "val_fraction": options.val_fraction,
        "charset": options.charset_name,
        "scenes": options.scenes,
        "height": options.height,
        "max_width": options.max_width,
        "text": asdict(text_config),
        "render": asdict(options.render),
        "design_weights": dict(options.design_weights),
        "without": [lever for lever in LEVERS if lever in options.without],  # issue 27's levers switched off
    }
    if options.scenes:
        config["scene"] = asdict(options.scene)
    if isinstance(source, FileTextSource):
        config["texts"] = {
            "path": str(source.texts.path),
            "sha256": source.texts.sha256,
            "lines": len(source.texts.lines),
            "left_out": dict(source.texts.rejected),
        }
    return {
        "format": "krocr-synth/1",
        "config": config,
        "counts": counts,
        "kinds": dict(sorted(source.stats.kinds.items())),
        "redrawn": dict(sorted(source.stats.redrawn.items())),
        "fonts": {
            "set": options.fonts,
            "available": [f.name for f in pool.faces],
            "used": dict(sorted(fonts_used.items())),
            "unused": sorted(f.name for f in pool.faces if f.name not in fonts_used),
            "missing_glyphs": pool.missing_report(chars),
            # files found but not used: unreadable, another sha256 than the manifest's, reserved designs
            "skipped": [{"path": f.path, "reason": f.reason} for f in skipped],
        },
        "syllables": source.counter.summary(),
        "workers": options.workers,
        "seconds": round(elapsed, 2),
        "per_second": round(options.count / elapsed, 1) if elapsed else None,
    }
