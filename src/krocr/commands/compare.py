"""``krocr compare``: training runs side by side — config differences and best-epoch metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from krocr.analysis.compare import Comparison


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="run directories of krocr train")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("comparison"),
        help="writes OUT.md and OUT.csv (default: comparison.md / .csv here)",
    )


def run(args: argparse.Namespace) -> int:
    comparison = Comparison.of(args.runs)
    console = Console(markup=False, emoji=False)  # a list value "[a, b]" is data, not a style tag
    for table in comparison.tables():
        console.print(table)
    markdown, table_csv = Path(f"{args.out}.md"), Path(f"{args.out}.csv")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(comparison.markdown(), encoding="utf-8")
    comparison.write_csv(table_csv)
    console.print(f"wrote {markdown} and {table_csv}")
    return 0
