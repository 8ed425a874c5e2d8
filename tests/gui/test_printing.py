"""The shared pieces of every printed form (desktop/printing.py): text is
escaped, tables have their heading, rows, totals and an empty note, times are
Nairobi's, long documents run onto more pages, and a PDF is written whole or
not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QPdfWriter
from pytestqt.qtbot import QtBot

from clinic.journal.models import StoreSetting
from clinic.store import LocalStore
from desktop.printing import (
    CLINIC_NAME_KEY,
    DEFAULT_CLINIC_NAME,
    Fact,
    TableColumn,
    a4_layout,
    clinic_name,
    facts_html,
    header_html,
    html_document,
    local_time,
    print_document,
    table_html,
    write_document_pdf,
    write_pdf,
)
from tests.gui.pdf import pdf_page_count, pdf_page_size_mm, pdf_text

COLUMNS = [TableColumn("Service"), TableColumn("Amount", numeric=True)]


def test_a_table_has_its_heading_rows_and_bold_totals_all_escaped(qtbot: QtBot) -> None:
    html = table_html(
        COLUMNS, [["<b>Consultation</b> & review", "KES 500.00"]], totals=["Total", "KES 500.00"]
    )
    assert "&lt;b&gt;Consultation&lt;/b&gt; &amp; review" in html
    assert "<th align='left'>Service</th>" in html
    assert "<td align='right' style='white-space: nowrap'><b>KES 500.00</b></td>" in html
    text = html_document(html).toPlainText()
    assert "<b>Consultation</b> & review" in text and "Total" in text


def test_an_empty_table_says_so_and_a_ruled_one_has_borders(qtbot: QtBot) -> None:
    html = table_html(COLUMNS, [], ruled=True, empty="Nothing in this period.")
    assert "Nothing in this period." in html and 'border="1"' in html
    assert "Nothing" not in table_html(COLUMNS, [])


def test_a_row_of_the_wrong_width_is_a_fault_not_a_shifted_table() -> None:
    with pytest.raises(ValueError):
        table_html(COLUMNS, [["Consultation"]])


def test_the_header_and_facts_say_who_what_and_when_in_nairobi_time(qtbot: QtBot) -> None:
    made = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 00:30 the next day in Nairobi
    html = header_html("Upendo & Sons Clinic", "Daily takings", lines=["Main branch"], made_at=made)
    text = html_document(html).toPlainText()
    assert "Upendo & Sons Clinic" in text and "Main branch" in text and "Daily takings" in text
    assert "Made on 01 Dec 2026 00:30" in text
    assert local_time(datetime(2026, 11, 30, 21, 30), "%H:%M") == "00:30"  # naive is UTC
    facts = facts_html([Fact("Cashier", "<Halima>"), Fact("Float", "KES 10.00", bold=False)])
    assert "<b>&lt;Halima&gt;</b>" in facts and "<b>KES 10.00</b>" not in facts


def test_a_long_document_runs_onto_more_a4_pages(qtbot: QtBot, tmp_path: Path) -> None:
    rows = [[f"Line {n}", "KES 1.00"] for n in range(1, 151)]
    document = html_document(table_html(COLUMNS, rows))
    path = write_document_pdf(document, tmp_path / "long.pdf", title="Long", creator="Test")
    assert pdf_page_count(path) >= 3
    text = pdf_text(path)
    assert "Line 1 " in text and "Line 150" in text
    size = pdf_page_size_mm(path)
    assert (round(size.width()), round(size.height())) == (210, 297)

    wide = write_pdf(
        tmp_path / "wide.pdf",
        lambda writer: print_document(writer, html_document("Wide"), a4_layout(landscape=True)),
        title="Wide",
        creator="Test",
    )
    size = pdf_page_size_mm(wide)
    assert (round(size.width()), round(size.height())) == (297, 210)


def test_a_pdf_that_fails_half_way_leaves_the_old_file(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"the good old report")

    def fail(writer: QPdfWriter) -> None:
        print_document(writer, html_document("Half a report"))
        raise RuntimeError("the data went away")

    with pytest.raises(RuntimeError):
        write_pdf(path, fail, title="Report", creator="Test")
    assert path.read_bytes() == b"the good old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_the_clinic_name_comes_from_the_store_settings(store: LocalStore) -> None:
    assert clinic_name(store) == DEFAULT_CLINIC_NAME
    with store.write() as session:
        session.merge(StoreSetting(key=CLINIC_NAME_KEY, value="Upendo Medical Centre"))
    assert clinic_name(store) == "Upendo Medical Centre"
