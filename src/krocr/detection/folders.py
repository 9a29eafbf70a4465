"""Where an ICDAR 2015 folder keeps its images and ground truth (no torch: evaluation reads
it too)."""

from __future__ import annotations

from pathlib import Path

from krocr.errors import DataError


def scene_folders(folder: str | Path) -> tuple[Path, Path]:
    """(ground-truth folder, image folder) of one ICDAR 2015 folder (module docstring)."""
    folder = Path(folder)
    for gt, images in (
        (folder / "scenes" / "gt", folder / "scenes" / "images"),
        (folder / "gt", folder / "images"),
    ):
        if gt.is_dir() and images.is_dir():
            return gt, images
    if folder.is_dir() and any(p.suffix.lower() == ".txt" for p in folder.iterdir()):
        return folder, folder
    raise DataError(
        f"{folder}: not an ICDAR 2015 folder (expected scenes/gt + scenes/images as `krocr synth --scenes` "
        "writes, gt/ + images/, or images beside gt_img_N.txt files)"
    )
