"""``environment.json`` of a run: one record per training session (the first start and each
resume) of the command, krocr's git commit, library versions, hardware and precision, so a
result can be traced to what computed it.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch

from krocr.config import ExperimentConfig
from krocr.hardware import cpu_description, cpu_supports_bf16
from krocr.version import __version__

ENVIRONMENT_FILE = "environment.json"


def _git_commit() -> str | None:
    """The commit of krocr's own source (not of the working directory), marked when it has changes."""
    source = Path(__file__).resolve().parents[1]  # the krocr package, inside its repository when not installed
    try:
        commit = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit} (with uncommitted changes)" if dirty else commit


def environment_record(
    config: ExperimentConfig,
    command: Sequence[str],
    precision: str,
    resumed_from: Path | None,
    devices: int,
    num_nodes: int,
    strategy: str,
) -> dict[str, Any]:
    """One training session: when and how it started, the code and library versions, the hardware."""
    return {
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": list(command),
        "resumed_from": str(resumed_from) if resumed_from else None,
        "git_commit": _git_commit(),
        "krocr": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": pl.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "cpu_bf16": cpu_supports_bf16(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch_threads": torch.get_num_threads(),
        "precision": precision,
        "devices": devices,
        "num_nodes": num_nodes,
        "strategy": strategy,
        "seed": config.train.seed,
    }


def environment_json(run_dir: Path, session: dict[str, Any]) -> str:
    """The text of ``run_dir``'s environment.json with ``session`` added: one entry per
    session, the first start and every resume (a fresh run starts the list anew)."""
    path = run_dir / ENVIRONMENT_FILE
    resumed = session["resumed_from"] and path.exists()
    sessions = json.loads(path.read_text(encoding="utf-8"))["sessions"] if resumed else []
    return json.dumps({"sessions": [*sessions, session]}, indent=2, ensure_ascii=False) + "\n"
