"""The ``krocr`` command line.

Each sub-command is a module of :mod:`krocr.commands` with ``configure(parser)`` and
``run(args) -> int``; this file only lists them, importing a module when its command runs
so that ``krocr --help`` starts without loading torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from krocr.errors import KrocrError
from krocr.version import __version__

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "smoke": ("krocr.commands.smoke", "build a CRNN, train a few steps on random input and decode (install check)"),
    "synth": ("krocr.commands.synth", "render synthetic signboard crops (or scenes with annotations) into a dataset"),
    "data": (
        "krocr.commands.data",
        "build train/val crop caches from annotations; 'data preview' draws a contact sheet",
    ),
    "train": ("krocr.commands.train", "train a recognizer from a YAML experiment config"),
    "train-detector": ("krocr.commands.train_detector", "train the text detector (DBNet) on ICDAR 2015 photo folders"),
    "calibrate": ("krocr.commands.calibrate", "fit a recognizer's confidence calibration on held-out crops"),
    "compare": ("krocr.commands.compare", "compare training runs: config differences and best-epoch metrics"),
    "eval": ("krocr.commands.eval", "evaluate weights on a dataset: metrics.json, predictions.csv, galleries"),
    "report": ("krocr.commands.report", "one self-contained HTML page for one or more runs"),
    "read": (
        "krocr.commands.read",
        "read word crops and whole photos (text found by the detector), or the boxes of a box file",
    ),
    "lm": ("krocr.commands.lm", "count the n-gram language model that `--lm` beam-search decoding uses"),
    "export": ("krocr.commands.export", "export a weights file to ONNX (dynamic batch and width, optional int8)"),
    "fonts": ("krocr.commands.fonts", "install the pinned Korean npm font packages (opt-in), list what is installed"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="krocr", description="Korean scene-text recognition toolkit.")
    parser.add_argument("--version", action="version", version=f"krocr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations phones home otherwise
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv or ["--help"])
        return 2
    name = argv[0]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    command_parser = argparse.ArgumentParser(prog=f"krocr {name}", description=help_text)
    module.configure(command_parser)
    args = _parse(command_parser, argv[1:])
    try:
        status = int(module.run(args) or 0)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return status
    except KrocrError as exc:
        print(f"krocr {name}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader closed the pipe (`krocr read … | head`): stop quietly, as Unix tools do;
        # stdout goes to devnull so that the flush at exit does not raise again (Python's
        # documented way: docs.python.org/3/library/signal.html#note-on-sigpipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Options may stand anywhere, even between a config and its KEY=VALUE overrides;
    commands with sub-commands (argparse cannot intermix those) parse as usual."""
    try:
        return parser.parse_intermixed_args(argv)
    except TypeError:
        return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
