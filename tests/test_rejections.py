"""Rejection logs: counts by reason, and reports that show user text exactly as it is."""

import io

from rich.console import Console

from krocr.data.rejections import Reason, RejectionLog


def test_counts_by_reason_and_the_first_example_in_the_text_report():
    log = RejectionLog()
    log.add("a.json", "word 1", Reason.EMPTY_LABEL)
    log.add("a.json", "word 2", Reason.EMPTY_LABEL)
    log.add("b.json", "word 7", Reason.OUT_OF_CHARSET, "漢")
    assert log.counts_by_reason() == {"empty_label": 2, "out_of_charset": 1}
    text = log.render_text()
    assert "a.json: word 1" in text and "b.json: word 7: 漢" in text


def test_brackets_in_file_names_labels_and_notes_are_text_not_markup():
    log = RejectionLog()
    log.add("photos/[sale]/img[1].jpg", "word [b]", Reason.EMPTY_LABEL, "label '[/] 50%'")  # '[/]' broke rich
    log.note("see [red]this[/red]")
    text = log.render_text(width=200)
    assert "photos/[sale]/img[1].jpg: word [b]: label '[/] 50%'" in text
    assert "note: see [red]this[/red]" in text


def test_the_table_keeps_user_text_on_a_console_that_reads_markup():
    log = RejectionLog()
    log.add("photos/[sale]/a.jpg", "word 1", Reason.EMPTY_LABEL, "[/]")
    console = Console(record=True, width=200, file=io.StringIO())  # markup on, as rich's default
    console.print(log.table())
    assert "photos/[sale]/a.jpg: word 1: [/]" in console.export_text()
