"""Shared by the benchmark scripts: machine description and writing results into
docs/benchmarks.md, each script owning one section between HTML comment markers."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shlex
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC = DOCS / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def command() -> str:
    return "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], DOCS.parent), *sys.argv[1:]])


def write_section(key: str, title: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section ``key`` of ``doc`` (docs/benchmarks.md) with ``body``,
    stamped with the date, machine and command that produced it."""
    stamp = f"*{dt.date.today().isoformat()} · {machine()} · `{command()}`*"
    block = f"<!-- {key}:start -->\n## {title}\n\n{stamp}\n\n{body.strip()}\n<!-- {key}:end -->"
    heading = f"# {doc.stem.capitalize()}\n\nEach section is rewritten by the script named in it.\n"
    text = doc.read_text(encoding="utf-8") if doc.exists() else heading
    pattern = re.compile(rf"<!-- {key}:start -->.*?<!-- {key}:end -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")
    print(block)
