"""``krocr report``: one self-contained HTML page for one or more runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from krocr.analysis.report import write_report
from krocr.errors import DataError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "runs", nargs="+", type=Path, metavar="RUN_DIR", help="run directories (krocr train, krocr eval)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("report.html"), help="HTML file to write (default: report.html)"
    )


def run(args: argparse.Namespace) -> int:
    missing = [str(d) for d in args.runs if not d.is_dir()]
    if missing:
        raise DataError(f"not a directory: {', '.join(missing)}")
    out = write_report(args.runs, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")
    return 0
