"""The SHA invoice: the A4 form the patient signs at the desk for a claim,
made from its ClaimDocument alone (no store, no widgets).

It names the facility as SHA knows it (name, KMHFL code, SHA facility id), the
patient with the SHA number the claim is made on (and the principal member's,
for a dependant), the visit's date and diagnoses, every line with its SHA
intervention code and amounts, the totals, and lines for the patient and the
clinician to sign. :func:`write_sha_invoice_pdf` saves it as a PDF and
:func:`print_sha_invoice` prints it; both run on the GUI thread (see
:mod:`desktop.printing`).
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QWidget

from clinic.claims.document import ClaimDocument
from clinic.db import utcnow
from clinic.rules.diagnoses import ICD11
from clinic.rules.money import decimal_kes_each, format_kes
from desktop.display import translate
from desktop.printing import (
    DEFAULT_CLINIC_NAME,
    Fact,
    TableColumn,
    facts_html,
    header_html,
    html_document,
    print_document,
    print_with_dialog,
    signature_html,
    table_html,
    write_document_pdf,
)


def _title(document: ClaimDocument) -> str:
    return translate("ShaInvoice", "SHA invoice %s") % document.number


def sha_invoice_html(document: ClaimDocument, clinic_name: str, made_at: datetime) -> str:
    """The invoice as HTML for a QTextDocument."""
    e = html.escape
    facility = document.facility
    not_set = translate("ShaInvoice", "not set")
    patient = document.patient
    parts = ['<div style="font-family: sans-serif; font-size: 9pt;">']
    parts.append(
        header_html(
            clinic_name,
            translate("ShaInvoice", "SOCIAL HEALTH AUTHORITY (SHA) CLAIM INVOICE"),
            lines=[
                facility.name,
                translate("ShaInvoice", "KMHFL code: %s · SHA facility ID: %s")
                % (facility.kmhfl_code or not_set, facility.sha_facility_id or not_set),
            ],
            made_at=made_at,
        )
    )
    claim_number = translate("ShaInvoice", "Claim number")
    parts.append(f'<p align="center">{e(claim_number)}: <b>{e(document.number)}</b></p>')
    member = [
        Fact(translate("ShaInvoice", "Patient"), patient.full_name),
        Fact(translate("ShaInvoice", "OP number"), patient.op_number),
        Fact(translate("ShaInvoice", "SHA member number"), document.sha_member_number),
    ]
    if document.is_dependant and document.sha_principal_number:
        member.append(
            Fact(
                translate("ShaInvoice", "Principal member's SHA number"),
                document.sha_principal_number,
            )
        )
        member.append(
            Fact(translate("ShaInvoice", "Relationship"), translate("ShaInvoice", "Dependant"))
        )
    else:
        member.append(
            Fact(
                translate("ShaInvoice", "Relationship"), translate("ShaInvoice", "Principal member")
            )
        )
    if patient.date_of_birth:
        member.append(
            Fact(
                translate("ShaInvoice", "Date of birth"), patient.date_of_birth.strftime("%d %b %Y")
            )
        )
    if patient.national_id:
        member.append(Fact(translate("ShaInvoice", "National ID"), patient.national_id))
    visit = [
        Fact(translate("ShaInvoice", "Visit date"), document.visit_date.strftime("%d %b %Y")),
        Fact(
            translate("ShaInvoice", "Clinician"),
            document.clinician.full_name
            if document.clinician
            else translate("ShaInvoice", "not recorded"),
        ),
    ]
    if document.preauthorisation_number:
        visit.append(
            Fact(
                translate("ShaInvoice", "Pre-authorisation number"),
                document.preauthorisation_number,
            )
        )
    parts.append(
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f"<td width='50%' style='padding-right: 12px'>{facts_html(member)}</td>"
        f"<td width='50%' style='padding-left: 12px'>{facts_html(visit)}</td>"
        "</tr></table>"
    )
    parts.append("<h3>" + e(translate("ShaInvoice", "Diagnoses")) + "</h3>")
    parts.append(
        table_html(
            [
                TableColumn(translate("ShaInvoice", "Code")),
                TableColumn(translate("ShaInvoice", "Coding")),
                TableColumn(translate("ShaInvoice", "Diagnosis")),
            ],
            [
                [
                    d.code,
                    d.code_system,
                    (
                        d.description
                        or (
                            translate("ShaInvoice", "ICD-11 code for SHA")
                            if d.code_system == ICD11
                            else ""
                        )
                    )
                    + (translate("ShaInvoice", " (primary)") if d.is_primary else ""),
                ]
                for d in document.diagnoses
            ],
            ruled=True,
            empty=translate("ShaInvoice", "No diagnosis recorded."),
        )
    )
    parts.append("<h3>" + e(translate("ShaInvoice", "Services")) + "</h3>")
    total = sum(line.amount_cents for line in document.lines)
    parts.append(
        table_html(
            [
                TableColumn(translate("ShaInvoice", "#"), numeric=True),
                TableColumn(translate("ShaInvoice", "SHA code")),
                TableColumn(translate("ShaInvoice", "Service")),
                TableColumn(translate("ShaInvoice", "Qty"), numeric=True),
                TableColumn(translate("ShaInvoice", "Unit price"), numeric=True),
                TableColumn(translate("ShaInvoice", "Amount"), numeric=True),
            ],
            [
                [
                    str(sequence),
                    line.intervention_code,
                    line.description,
                    str(line.quantity),
                    f"KES {decimal_kes_each(line.amount_cents, line.quantity):,}",
                    format_kes(line.amount_cents),
                ]
                for sequence, line in enumerate(document.lines, start=1)
            ],
            totals=["", "", translate("ShaInvoice", "Total"), "", "", format_kes(total)],
            ruled=True,
            empty=translate("ShaInvoice", "No services on this claim."),
        )
    )
    parts.append("<br>")
    parts.append(
        facts_html(
            [
                Fact(
                    translate("ShaInvoice", "Invoice total"),
                    format_kes(document.invoice_total_cents),
                    False,
                ),
                Fact(
                    translate("ShaInvoice", "Claimed from SHA"), format_kes(document.claimed_cents)
                ),
            ]
        )
    )
    parts.append(
        "<p>"
        + e(
            translate(
                "ShaInvoice",
                "I confirm that I received the services listed above on the date shown "
                "and that the SHA number given is mine or my principal member's.",
            )
        )
        + "</p>"
    )
    parts.append(
        signature_html(
            [
                translate("ShaInvoice", "Patient (or guardian): name, signature, date"),
                translate("ShaInvoice", "Clinician: name, signature, stamp"),
            ]
        )
    )
    parts.append("</div>")
    return "".join(parts)


def sha_invoice_document(
    document: ClaimDocument, clinic_name: str, made_at: datetime | None = None
) -> QTextDocument:
    """The invoice as a document, made now unless ``made_at`` says when."""
    return html_document(sha_invoice_html(document, clinic_name, made_at or utcnow()))


def write_sha_invoice_pdf(document: ClaimDocument, path: Path, clinic_name: str) -> Path:
    """Save the claim's SHA invoice to ``path`` as an A4 PDF, whole or not at
    all; raises OSError when ``path`` cannot be written."""
    return write_document_pdf(
        sha_invoice_document(document, clinic_name),
        path,
        title=_title(document),
        creator=clinic_name,
    )


def print_sha_invoice(
    document: ClaimDocument, parent: QWidget | None, clinic_name: str = DEFAULT_CLINIC_NAME
) -> bool:
    """Print the claim's SHA invoice on A4 on a printer chosen in the print
    dialog; False if the person cancelled."""
    return print_with_dialog(
        parent,
        lambda printer: print_document(printer, sha_invoice_document(document, clinic_name)),
        title=_title(document),
    )
