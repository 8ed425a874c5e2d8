"""The SHA invoice the patient signs: saved as an A4 PDF and printed through
the print dialog, read back with QtPdf to check what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.screens.claims.sha_invoice import print_sha_invoice, write_sha_invoice_pdf
from tests.claim_documents import ANAEMIA, MALARIA, claim_document, claim_line
from tests.gui.pdf import answer_print_dialog, pdf_page_count, pdf_page_size_mm, pdf_text


def test_the_invoice_names_facility_patient_sha_numbers_codes_and_total(
    qtbot: QtBot, tmp_path: Path
) -> None:
    document = claim_document(dependant=True, preauthorisation_number="PA-2026-0042")
    path = write_sha_invoice_pdf(document, tmp_path / "sha-invoice.pdf", "Upendo Clinic")

    text = pdf_text(path)
    for expected in (
        "Upendo Clinic",
        "Main branch",
        "KMHFL code: 23157",
        "FID-47-123456-7",
        "Mary Wanjiru Otieno",
        "OP-2026-000123-3",
        "CR1234567890123-4",  # the member's SHA number
        "CR9876543210987-6",  # the principal's
        "Dependant",
        "MAIN-20261130-OP-2026-000123-3",
        "30 Nov 2026",
        "Dr James Kamau",
        "PA-2026-0042",
        "B54",
        "Unspecified malaria (primary)",
        "1F4Z",
        "SHA-01-001",
        "SHA-03-014",
        "SHA-12-004",
        "KES 125.00",  # the tablets' unit price
        "KES 1,250.00",
        "Patient (or guardian)",
        "Clinician: name, signature",
    ):
        assert expected in text, expected
    size = pdf_page_size_mm(path)
    assert (round(size.width()), round(size.height())) == (210, 297)
    assert [p.name for p in tmp_path.iterdir()] == ["sha-invoice.pdf"]


def test_a_principal_member_and_an_empty_claim_say_so(qtbot: QtBot, tmp_path: Path) -> None:
    document = claim_document(lines=[], diagnoses=[], clinician=None)
    text = pdf_text(write_sha_invoice_pdf(document, tmp_path / "empty.pdf", "Upendo Clinic"))
    assert "Principal member" in text and "CR9876543210987-6" not in text
    assert "No diagnosis recorded." in text
    assert "No services on this claim." in text
    assert "not recorded" in text  # the clinician
    assert "KES 0.00" in text


def test_a_long_claim_runs_onto_a_second_page(qtbot: QtBot, tmp_path: Path) -> None:
    lines = [claim_line(f"SHA-12-{n:03d}", f"Drug number {n}", 1, 100_00) for n in range(1, 61)]
    document = claim_document(lines=lines, diagnoses=[MALARIA, ANAEMIA])
    path = write_sha_invoice_pdf(document, tmp_path / "long.pdf", "Upendo Clinic")
    assert pdf_page_count(path) >= 2
    text = pdf_text(path)
    assert "Drug number 60" in text and "KES 6,000.00" in text


def test_a_folder_that_cannot_be_written_is_an_os_error_and_leaves_nothing(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with pytest.raises(OSError):
        write_sha_invoice_pdf(claim_document(), tmp_path / "gone" / "x.pdf", "Upendo Clinic")
    assert list(tmp_path.iterdir()) == []


def test_printing_goes_through_the_print_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    printed = tmp_path / "printed.pdf"
    answer_print_dialog(str(printed))
    assert print_sha_invoice(claim_document(), None, "Upendo Clinic") is True
    text = pdf_text(printed)
    assert "Upendo Clinic" in text and "CR1234567890123-4" in text and "KES 1,250.00" in text

    answer_print_dialog(None)
    assert print_sha_invoice(claim_document(), None) is False
    assert [p.name for p in tmp_path.iterdir()] == ["printed.pdf"]
