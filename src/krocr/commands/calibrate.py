"""``krocr calibrate``: fit a recognizer's confidence calibration on a held-out split and
write a weights file that carries it; report ECE and a reliability diagram.

    krocr calibrate WEIGHTS --data DIR [--split val] [--method platt|temperature]
        --out CALIBRATED.safetensors [--check SET...]

``--method platt`` (the default) maps the mean frame's top log-probability through a fitted
logistic; ``--method temperature`` fits the temperature of the weakest frame
(:mod:`krocr.model.calibration`). ``--check`` sets are only measured with the fitted
calibration (never fitted on), e.g. the held-out fonts or the real evaluation set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from krocr.analysis.calibration import (
    CHECK_THRESHOLD,
    Calibration,
    calibrate,
    measure,
    plot_reliability,
    score_logits,
)
from krocr.commands.bars import ProgressBar
from krocr.data.eval_sets import evaluation_only_root, open_eval_set
from krocr.errors import ConfigError
from krocr.inference.recognizer import Recognizer
from krocr.model.calibration import METHODS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="a .safetensors weights file or a shipped model's name")
    parser.add_argument("--data", type=Path, required=True, help="held-out crops to fit on (what `krocr eval` takes)")
    parser.add_argument("--split", choices=("test", "val", "train"), help="split of --data (default: test, else val)")
    parser.add_argument("--limit", type=int, help="fit on the first N crops only")
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="platt",
        help="platt: a logistic of the mean frame's top log-probability (default); "
        "temperature: the weakest frame at a fitted temperature",
    )
    parser.add_argument("--out", type=Path, required=True, help="calibrated weights file to write (.safetensors)")
    parser.add_argument("--check", type=Path, nargs="*", default=[], help="sets to measure (not fit) calibration on")


def run(args: argparse.Namespace) -> int:
    if args.out.suffix != ".safetensors":
        raise ConfigError(f"--out {args.out}: a calibrated weights file is written as .safetensors")
    held_out = evaluation_only_root(args.data)
    if held_out is not None:
        raise ConfigError(
            f"--data {args.data} is inside {held_out}, an evaluation-only set: fit on a held-out synthetic "
            "split and measure this set with --check"
        )
    recognizer = Recognizer(args.weights, engine="torch", language_model=None)  # fits greedy's frames
    with ProgressBar(transient=True) as bar:
        before, after = calibrate(recognizer, args.data, args.split, args.limit, bar, args.method)
        checks = {
            str(path): measure(score_logits(recognizer, open_eval_set(path), None, bar), after.mapping, str(path))
            for path in args.check
        }
    write_calibrated(recognizer, after, before, args.out)
    figure = plot_reliability(
        {"fit set, uncalibrated": before, "fit set, calibrated": after}
        | {f"{k}, calibrated": v for k, v in checks.items()},
        args.out.with_name(f"{args.out.stem}_reliability.png"),
    )
    report = {"fit_before": before.to_dict(), "fit_after": after.to_dict()} | {
        k: v.to_dict() for k, v in checks.items()
    }
    args.out.with_name(f"{args.out.stem}_calibration.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    Console(markup=False, emoji=False).print(calibration_table({"fit, before": before, "fit": after, **checks}))
    for name, calibration in {"fit": after, **checks}.items():
        if calibration.left_out:
            left = ", ".join(f"{n} {reason}" for reason, n in calibration.left_out.items())
            print(f"{name}: crops left out: {left}")
    print(f"calibration {after.mapping.describe()}; wrote {args.out}, {figure}")
    return 0


def write_calibrated(recognizer: Recognizer, after: Calibration, before: Calibration, out: Path) -> None:
    """The recognizer's weights again, stored as they were (fp16 or fp32), with the calibration in their info."""
    from safetensors import safe_open

    from krocr.model.weights import save_weights

    assert recognizer.model is not None  # the torch engine
    with safe_open(str(recognizer.weights), "pt") as handle:
        half = any(handle.get_slice(key).get_dtype() == "F16" for key in handle.keys())  # noqa: SIM118 - not iterable
    calibration = {
        **after.mapping.to_info(),
        "fitted_on": after.data,
        "crops": after.crops,
        "ece_before": round(before.ece, 4),
        "ece_after": round(after.ece, 4),
    }
    info = {**recognizer.info, "calibration": calibration}
    save_weights(out, recognizer.model, recognizer.charset, recognizer.preprocess, info, half=half)  # type: ignore[arg-type]


def calibration_table(calibrations: dict[str, Calibration]) -> Table:
    table = Table(title="confidence calibration")
    columns = ("set", "crops", "calibration", "accuracy", "ECE", f"conf ≥ {CHECK_THRESHOLD}", "right there")
    for column in columns:
        # the mapping's parameters are what a reader of the table looks for: never cut or wrapped
        table.add_column(column, justify="left" if column == "set" else "right", no_wrap=column == "calibration")
    for name, c in calibrations.items():
        table.add_row(
            name,
            str(c.crops),
            c.mapping.describe(),
            f"{c.accuracy:.1%}",
            f"{c.ece:.3f}",
            str(c.at_threshold[0]),
            f"{c.at_threshold[1]:.1%}",
        )
    return table
