"""Every sample krocr drops, with the file, the item and a named reason: never silent.

Importers, the crop stage and the training dataset each fill a :class:`RejectionLog`; the
``krocr data`` command merges them, writes ``rejections.csv`` and prints a table of counts
by reason with one example each, so a user can go straight to the offending line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.table import Table
from rich.text import Text


class Reason(StrEnum):
    """Why a sample was dropped. The value is what files and tables show."""

    # annotation structure
    UNREADABLE_ANNOTATION = "unreadable_annotation"
    MALFORMED_LINE = "malformed_line"
    MALFORMED_REGION = "malformed_region"
    UNSUPPORTED_SHAPE = "unsupported_shape"
    # images
    MISSING_IMAGE = "missing_image"
    AMBIGUOUS_IMAGE = "ambiguous_image"
    UNREADABLE_IMAGE = "unreadable_image"
    # geometry
    TOO_FEW_POINTS = "too_few_points"
    ZERO_AREA = "zero_area"
    TOO_SMALL = "too_small"
    SELF_INTERSECTING = "self_intersecting"
    NOT_CONVEX = "not_convex"
    OUTSIDE_IMAGE = "outside_image"
    EXTREME_ASPECT = "extreme_aspect"
    VERTICAL = "vertical"
    # labels
    ILLEGIBLE = "illegible"
    MISSING_LABEL = "missing_label"
    EMPTY_LABEL = "empty_label"
    LABEL_TOO_LONG = "label_too_long"
    OUT_OF_CHARSET = "out_of_charset"
    UNALIGNABLE = "unalignable"
    # repeats
    CONFLICTING_LABELS = "conflicting_labels"
    DUPLICATE = "duplicate"


REASON_HELP: dict[str, str] = {  # keyed by Reason, a StrEnum: plain reason strings look up too
    Reason.UNREADABLE_ANNOTATION: "one annotation file of a directory is not valid JSON or text",
    Reason.MALFORMED_LINE: "a text line that does not parse (wrong field count, non-numeric coordinates)",
    Reason.MALFORMED_REGION: "a JSON region or annotation without usable coordinates or text",
    Reason.UNSUPPORTED_SHAPE: "a region shape other than polygon / rect (circle, ellipse, point, polyline)",
    Reason.MISSING_IMAGE: "the image file named by the annotation does not exist",
    Reason.AMBIGUOUS_IMAGE: "the annotation matches several image files (img_4.jpg and img_4.png); none is guessed",
    Reason.UNREADABLE_IMAGE: "the image file is empty, corrupt, truncated or absurdly large",
    Reason.TOO_FEW_POINTS: "a polygon with fewer than 4 points",
    Reason.ZERO_AREA: "a box whose area is (nearly) zero: collinear or repeated points",
    Reason.TOO_SMALL: "a box whose text height is below the configured minimum",
    Reason.SELF_INTERSECTING: "a polygon whose edges cross (a bow-tie: points in the wrong order)",
    Reason.NOT_CONVEX: "a 4-point box that is concave, so no perspective warp fits it",
    Reason.OUTSIDE_IMAGE: "a box entirely outside the image, or partly outside with --outside reject",
    Reason.EXTREME_ASPECT: "a box whose width:height ratio exceeds the configured maximum",
    Reason.VERTICAL: "a multi-character box taller than wide, with --vertical reject",
    Reason.ILLEGIBLE: "marked illegible by the annotator (### or xxx)",
    Reason.MISSING_LABEL: "the region has no text attribute of the expected name",
    Reason.EMPTY_LABEL: "the text is empty or only whitespace",
    Reason.LABEL_TOO_LONG: "the text has more tokens than the maximum label length",
    Reason.OUT_OF_CHARSET: "the text has characters outside the charset (policy reject)",
    Reason.UNALIGNABLE: "the text needs more CTC frames than the model outputs for the crop",
    Reason.CONFLICTING_LABELS: "the same crop (or box of a photo) listed again with another label: all are dropped",
    Reason.DUPLICATE: "the same crop (or box of a photo) listed again with the same label: kept once",
}


class Issue(NamedTuple):
    """What a check found wrong with one item: the reason and its specifics."""

    reason: Reason
    detail: str


CSV_COLUMNS = ("file", "item", "reason", "detail", "words")


@dataclass(frozen=True)
class Rejection:
    file: str  # annotation file, image file or LMDB the item came from
    item: str  # where inside it: "line 7", "region 3", "index 12", "image"
    reason: str  # a Reason value
    detail: str  # human-readable specifics, e.g. "area 0.0 px²"
    # annotated words (crops) it drops: 1 for a line or region, all of a photo's words for a
    # missing or ambiguous photo, 0 where none can be counted (a file that cannot be read)
    words: int = 1
    # the image files it is about when it names several (ambiguous_image); not a CSV column
    images: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.reason}: {self.detail}"


@dataclass
class RejectionLog:
    """An append-only list of rejections plus non-fatal notes (e.g. an encoding fallback) and
    the words kept with their box clipped to the image (``file: item: by N px``)."""

    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)

    def add(
        self,
        file: str | Path,
        item: str,
        reason: Reason | str,
        detail: str = "",
        words: int = 1,
        images: Iterable[str | Path] = (),
    ) -> None:
        self.rejections.append(Rejection(str(file), item, str(reason), detail, words, tuple(map(str, images))))

    def add_issue(self, file: str | Path, item: str, issue: Issue, words: int = 1) -> None:
        self.add(file, item, issue.reason, issue.detail, words)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def add_clipped(self, file: str | Path, item: str, outside: float) -> None:
        """A word kept, its box cut at the image's edge ``outside`` px in from where it was drawn."""
        self.clipped.append(f"{file}: {item}: by {outside:.0f} px")

    def extend(self, other: RejectionLog) -> None:
        self.rejections.extend(other.rejections)
        self.notes.extend(other.notes)
        self.clipped.extend(other.clipped)

    @classmethod
    def merged(cls, logs: Iterable[RejectionLog]) -> RejectionLog:
        out = cls()
        for log in logs:
            out.extend(log)
        return out

    def __len__(self) -> int:
        return len(self.rejections)

    def __iter__(self) -> Iterator[Rejection]:
        return iter(self.rejections)

    def counts_by_reason(self) -> dict[str, int]:
        """Rejections per reason, most frequent first."""
        return dict(Counter(r.reason for r in self.rejections).most_common())

    def words_by_reason(self) -> dict[str, int]:
        """Annotated words dropped per reason, in the order of :meth:`counts_by_reason`
        (a missing photo is one rejection but drops all of its words)."""
        words: Counter[str] = Counter()
        for r in self.rejections:
            words[r.reason] += r.words
        return {reason: words[reason] for reason in self.counts_by_reason()}

    def words(self) -> int:
        """Annotated words dropped in all."""
        return sum(r.words for r in self.rejections)

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS)
            writer.writerows([getattr(r, column) for column in CSV_COLUMNS] for r in self.rejections)

    def table(self, title: str = "Rejected samples") -> Table:
        """A rich table: reason, count, what it means, and the first example."""
        table = Table(title=title, show_lines=False)
        table.add_column("reason", style="bold")
        table.add_column("count", justify="right")
        # a words column only when it says more than the count (a photo dropping all its words)
        show_words = any(r.words != 1 for r in self.rejections)
        if show_words:
            table.add_column("words", justify="right")
        table.add_column("meaning")
        table.add_column("first example", overflow="fold")
        first: dict[str, Rejection] = {}
        for r in self.rejections:
            first.setdefault(r.reason, r)
        words = self.words_by_reason()
        for reason, count in self.counts_by_reason().items():
            example = first[reason]
            meaning = REASON_HELP.get(reason, "")
            # user text as it is on any console: "[sale]" or "[/]" in a name is not rich markup
            cells = [reason, str(count), *([str(words[reason])] if show_words else []), meaning]
            table.add_row(*cells, Text(f"{example.file}: {example.item}: {example.detail}"))
        return table

    def render_text(self, title: str = "Rejected samples", width: int = 160) -> str:
        """The table (and notes) as plain text, for exception messages and logs."""
        buffer = io.StringIO()
        console = Console(file=buffer, width=width, no_color=True, highlight=False, markup=False, emoji=False)
        if self.rejections:
            console.print(self.table(title))
        else:
            console.print(f"{title}: none")
        for message in self.notes:
            console.print(f"note: {message}")
        return buffer.getvalue()
