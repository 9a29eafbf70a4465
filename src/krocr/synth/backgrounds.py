"""Photographic backgrounds without text, and paper textures, from Debian packages.

:data:`PHOTO_MANIFEST` names, per Debian package, the files to use: real photographs
(leaves, flowers, water, sky, mountains, wood, a facade, cups, dogs) chosen by looking at
every file of the package, with no text, logo or watermark. Illustrations, gradients,
renders and files with a distribution's logo or any lettering are left out.
:func:`background_photos` lists the files of the manifest that are installed;
:func:`random_background` cuts a random crop of one of them (random photo, zoom, position
and horizontal flip) to the size asked, as uint8 RGB. :data:`PAPER_MANIFEST` and
:func:`random_paper` do the same for scanned paper textures (document pages).

When nothing is installed (not root at set-up, or a machine without the packages) both
return ``None`` and callers draw their procedural backgrounds instead; so they do when the
file drawn is installed but cannot be read (a truncated or corrupt image): then its path is
told to every :func:`unreadable_files` block that is open. ``krocr synth --scenes`` counts
every fallback in its summary (backdrops, document pages, photo sign panels; a missing
package and an unreadable file each under their own key, the unreadable files by path),
so none is silent.

Images are decoded once per process, shrunk so the longer side is at most
:data:`MAX_SIDE` pixels (~3 MB each, ~100 MB for all 33 photos), and kept: a crop then
costs a resample (~3 ms at 640x480), not a JPEG decode. The crop depends only on the
generator and on which files are installed.
"""

from __future__ import annotations

import glob
import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

# Debian package -> globs of its files that are photographs without text, checked by eye
# (2026-12: every file of each package looked at; left out are illustrations, gradients,
# renders, distribution logos, and photos with any lettering such as a wine label or a boat's
# painted sign)
PHOTO_MANIFEST: dict[str, tuple[str, ...]] = {
    # 12 nature close-ups: water drop, leaves, grass, dune, flowers, ladybird, storm, wood
    # (abstract/ and desktop/ hold illustrations and MATE logos)
    "mate-backgrounds": ("/usr/share/backgrounds/mate/nature/*.jpg",),
    # 11 photos: bridge cables, leaves, a fig in a bowl, paint brushes, a bird, dogs at a
    # window, mountains, a creek, dandelions, a sunset (not the wine bottle, the clock face
    # or the two gradients)
    "lomiri-wallpapers-16.04": tuple(
        f"/usr/share/backgrounds/{name}.jpg"
        for name in (
            "Bridge_by_Sander_Klootwijk",
            "Dragonfly_by_Bolly",
            "Picture_0B_by_freespace",
            "Picture_1A_by_freespace",
            "aitzgorri_by_Aitzol_Berasategi",
            "free_by_Peter_Nerlich",
            "friends_by_Aitzol_Berasategi",
            "life_by_Aitzol_Berasategi",
            "picosdeeuropa_by_Aitzol_Berasategi",
            "seeding_by_Clements_Engelhardt",
            "sunset_by_Aitzol_Berasategi",
        )
    ),
    # 10 photos, one resolution each: jetty planks, a pier in fog, cups, a misty lake, autumn
    # leaves, a curved facade, a kite in the sky, moss, a forest path, a lake at dusk (the
    # other 20 are illustrations or renders; EveningGlow's boats carry painted text)
    "plasma-workspace-wallpapers": tuple(
        f"/usr/share/wallpapers/{name}/contents/images/2560x1600.jpg"
        for name in (
            "BytheWater",
            "ColdRipple",
            "ColorfulCups",
            "DarkestHour",
            "FallenLeaf",
            "Grey",
            "Kite",
            "OneStandsOut",
            "Path",
            "summer_1am",
        )
    ),
}
# Paper textures (scans of real paper, no marks) for document pages: MyPaint's backgrounds
PAPER_MANIFEST: dict[str, tuple[str, ...]] = {
    "mypaint-data-extras": tuple(
        f"/usr/share/mypaint/backgrounds/{name}.png"
        for name in (
            "mrmamurk/mamurk_a_1",
            "mrmamurk/mamurk_a_2",
            "mrmamurk/mamurk_c_3",
            "mrmamurk/mamurk_e_1",
            "mrmamurk/mamurk_e_2",
            "mrmamurk/mamurk_f_1",
            "ramon/HR_Canvas 01",
            "ramon/HR_PastelPaper 01",
            "ramon/HR_RoughPaper",
            "ramon/HR_SketchPaper",
            "ramon/HR_WaterColor",
        )
    ),
}
MAX_SIDE = 1280  # px: photos are shrunk to this longer side once, when first used
MIN_ZOOM_OUT = 0.5  # a crop is never upsampled more than 2x
MIN_REGION = 0.06  # the smallest crop, as a fraction of the photo's largest one


# the lists of the open unreadable_files() blocks, innermost last
_COLLECTORS: list[list[Path]] = []


@contextmanager
def unreadable_files() -> Iterator[list[Path]]:
    """While the block runs, the list gets the path of every installed manifest file that a
    crop (:func:`random_background`, :func:`random_paper`, so photo panels too) drew and could
    not read: once per crop that fell back, repeats included. Blocks nest; each hears all."""
    found: list[Path] = []
    _COLLECTORS.append(found)
    try:
        yield found
    finally:
        popped = _COLLECTORS.pop()
        assert popped is found, "unreadable_files() blocks must nest"


def _unreadable(path: Path) -> None:
    for found in _COLLECTORS:
        found.append(path)


def photo_packages() -> list[str]:
    """The Debian packages that provide the photos and paper textures (what set-up installs)."""
    return sorted({*PHOTO_MANIFEST, *PAPER_MANIFEST})


def background_photos() -> list[Path]:
    """Installed photo files of :data:`PHOTO_MANIFEST`, sorted (empty when none is)."""
    return list(_listed(_frozen(PHOTO_MANIFEST)))


def paper_textures() -> list[Path]:
    """Installed paper textures of :data:`PAPER_MANIFEST`, sorted (empty when none is)."""
    return list(_listed(_frozen(PAPER_MANIFEST)))


def _frozen(manifest: dict[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((package, tuple(globs)) for package, globs in sorted(manifest.items()))


@lru_cache(maxsize=8)
def _listed(manifest: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Path, ...]:
    """Cached per manifest (a test that swaps the manifest gets a fresh listing)."""
    found: set[Path] = set()
    for _, patterns in manifest:
        for pattern in patterns:
            found.update(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    return tuple(sorted(found))


@lru_cache(maxsize=64)
def _load(path: Path) -> np.ndarray | None:
    """The image as RGB uint8, longer side at most MAX_SIDE; None if it cannot be read."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    height, width = image.shape[:2]
    factor = MAX_SIDE / max(height, width)
    if factor < 1:
        image = cv2.resize(
            image, (max(1, round(width * factor)), max(1, round(height * factor))), interpolation=cv2.INTER_AREA
        )
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False  # shared by every crop of this process
    return rgb


def random_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray | None:
    """A random crop of an installed photo, resized to ``height`` x ``width``: uint8 RGB
    (a new, writable array). The photo, the zoom (log-uniform, from the largest region of
    the target's aspect down to 6 % of it, never upsampled more than 2x), the position and a
    horizontal flip are drawn from ``rng``. None when no photo of the manifest is installed,
    or the one drawn cannot be read (its path goes to the open :func:`unreadable_files`
    blocks): callers then draw a procedural background."""
    _check_size(height, width)
    photos = background_photos()
    if not photos:
        return None
    path = photos[int(rng.integers(len(photos)))]
    photo = _load(path)
    if photo is None:
        _unreadable(path)
        return None
    photo_h, photo_w = photo.shape[:2]
    aspect = width / height
    largest_w = min(float(photo_w), photo_h * aspect)
    smallest_w = min(largest_w, max(width * MIN_ZOOM_OUT, largest_w * MIN_REGION))
    region_w = math.exp(rng.uniform(math.log(smallest_w), math.log(largest_w)))
    region_h = region_w / aspect
    x0 = rng.uniform(0, max(photo_w - region_w, 0))
    y0 = rng.uniform(0, max(photo_h - region_h, 0))
    flip = bool(rng.random() < 0.5)
    return _resample(photo, (x0, y0, region_w, region_h), height, width, flip)


def random_paper(rng: np.random.Generator, height: int, width: int) -> np.ndarray | None:
    """A paper texture tiled (mirrored at its edges) at its own scale over ``height`` x
    ``width``, from a random offset: uint8 RGB, or None when none is installed or the one
    drawn cannot be read (as for :func:`random_background`)."""
    _check_size(height, width)
    papers = paper_textures()
    if not papers:
        return None
    path = papers[int(rng.integers(len(papers)))]
    paper = _load(path)
    if paper is None:
        _unreadable(path)
        return None
    paper_h, paper_w = paper.shape[:2]
    x0, y0 = int(rng.integers(paper_w)), int(rng.integers(paper_h))
    # mirrored tiles join without seams; a 2x2 block of them is one period
    block = np.concatenate([paper, paper[:, ::-1]], axis=1)
    block = np.concatenate([block, block[::-1]], axis=0)
    reps = (math.ceil((height + y0) / block.shape[0]), math.ceil((width + x0) / block.shape[1]), 1)
    return np.ascontiguousarray(np.tile(block, reps)[y0 : y0 + height, x0 : x0 + width])


def _check_size(height: int, width: int) -> None:
    if height < 1 or width < 1:
        raise ValueError(f"background size must be positive, got {height}x{width}")


def _resample(
    photo: np.ndarray, region: tuple[float, float, float, float], height: int, width: int, flip: bool
) -> np.ndarray:
    """``region`` (x0, y0, width, height in photo pixels) mapped onto a height x width image
    with one affine warp; shrinking blurs the region first so the warp does not alias."""
    x0, y0, region_w, region_h = region
    photo_h, photo_w = photo.shape[:2]
    sx, sy = width / region_w, height / region_h
    left, top = max(int(x0) - 4, 0), max(int(y0) - 4, 0)
    right, bottom = min(math.ceil(x0 + region_w) + 4, photo_w), min(math.ceil(y0 + region_h) + 4, photo_h)
    window = photo[top:bottom, left:right]
    sigma = 0.5 / min(sx, sy) - 0.5
    if sigma > 0.3:
        window = cv2.GaussianBlur(window, (0, 0), sigma)
    # window pixel (u, v) -> output ((u + left - x0) * sx, (v + top - y0) * sy), mirrored if flipped
    matrix = np.array([[sx, 0, (left - x0) * sx], [0, sy, (top - y0) * sy]], np.float64)
    if flip:
        matrix[0] = [-sx, 0, width - (left - x0) * sx]
    return cv2.warpAffine(window, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
