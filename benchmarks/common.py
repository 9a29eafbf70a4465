"""Shared by the benchmark scripts: machine description and writing results into
docs/benchmarks.md, each script owning one section between HTML comment markers (speed
scripts one per CPU model and ISA)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from krocr.hardware import cpu_description

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC = DOCS / "benchmarks.md"


def machine() -> str:
    return f"{cpu_description()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def machine_key() -> str:
    """The CPU model and ISA as a section key: ``AMD EPYC (AVX-512 BF16)`` → ``amd-epyc-avx-512-bf16``."""
    slug = re.sub(r"[^a-z0-9]+", "-", cpu_description().lower().replace("(r)", "").replace("(tm)", "")).strip("-")
    return slug or "unknown-cpu"


def command() -> str:
    return "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], DOCS.parent), *sys.argv[1:]])


def stamp() -> str:
    """The line every result carries: date, machine and the command that produced it."""
    return f"*{dt.date.today().isoformat()} · {machine()} · `{command()}`*"


def publish(key: str, title: str, body: str, write: bool, per_machine: bool = False) -> None:
    """With ``write``, :func:`write_section`; otherwise print the body under its :func:`stamp`."""
    if write:
        write_section(key, title, body, per_machine=per_machine)
    else:
        print(f"{stamp()}\n\n{body}")


def write_section(key: str, title: str, body: str, doc: Path = DOC, per_machine: bool = False) -> None:
    """Replace (or append) the section ``key`` of ``doc`` (docs/benchmarks.md) with ``body``,
    stamped with the date, machine and command that produced it. A ``per_machine`` section
    (speeds) is kept once per CPU model, so a run on another machine adds its own figures
    beside the others instead of replacing them."""
    base = key
    if per_machine:
        key, title = f"{base}@{machine_key()}", f"{title} ({cpu_description()})"
    block = f"<!-- {key}:start -->\n## {title}\n\n{stamp()}\n\n{body.strip()}\n<!-- {key}:end -->"
    heading = f"# {doc.stem.capitalize()}\n\nEach section is rewritten by the script named in it.\n"
    text = doc.read_text(encoding="utf-8") if doc.exists() else heading
    own = re.compile(rf"<!-- {re.escape(key)}:start -->.*?<!-- {re.escape(key)}:end -->", re.S)
    # another machine's figures of the same benchmark: the new machine's go right after them
    siblings = list(re.finditer(rf"<!-- {re.escape(base)}@[a-z0-9-]+:end -->", text)) if per_machine else []
    if own.search(text):
        text = own.sub(lambda _: block, text)
    elif siblings:
        end = siblings[-1].end()
        text = text[:end] + "\n\n" + block + text[end:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")
    print(block)


def write_records(path: Path, record_type: type, rows: Sequence[Any]) -> None:
    """Dataclass records as a CSV file, one column per field of ``record_type``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, [field.name for field in dataclasses.fields(record_type)])
        writer.writeheader()
        writer.writerows(dataclasses.asdict(r) for r in rows)


def save_figure(fig: Any, out: Path) -> None:
    """A matplotlib figure as the PNG the docs link to (gridded axes, tight layout, 100 dpi)."""
    for ax in fig.axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
