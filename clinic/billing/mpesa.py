"""Reconciling the M-Pesa till statement with the payments taken.

The statement is the CSV that M-Pesa for Business exports (columns Receipt
No., Completion Time, Details, Transaction Status, Paid In, Withdrawn,
Balance, among others). Exports differ: some start with a few lines about
the account before the header, some spell the columns ``Receipt No`` or
``Receipt Number``, ``Paid in``, amounts carry thousands separators and
empty cells read ``-`` or nothing. Pure functions: no database.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from clinic.rules.mpesa import MPESA_CODE_RE

_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "receipt": ("receiptno", "receiptnumber", "receipt", "transactionid", "mpesareceiptno"),
    "completed": ("completiontime", "completiondate", "transactiontime", "date"),
    "details": ("details", "description", "transactiondetails"),
    "status": ("transactionstatus", "status"),
    "paid_in": ("paidin", "moneyin", "credit", "paidinkes"),
    "withdrawn": ("withdrawn", "withdrawal", "moneyout", "debit", "withdrawnkes"),
    "balance": ("balance", "balancekes"),
}
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)
_AMOUNT_RE = re.compile(r"-?\d+(?:\.\d{1,2})?")


@dataclass(frozen=True)
class StatementLine:
    line_number: int
    code: str
    completed_at: datetime | None
    details: str
    status: str
    paid_in_cents: int
    withdrawn_cents: int

    @property
    def completed(self) -> bool:
        return self.status.strip().lower() in ("completed", "success", "successful", "")


@dataclass(frozen=True)
class StatementProblem:
    line_number: int
    reason: str


@dataclass(frozen=True)
class Statement:
    lines: list[StatementLine]
    problems: list[StatementProblem]


class NotAStatement(ValueError):
    """The file has no header row with at least a receipt and a paid-in column."""


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _columns(row: Sequence[str]) -> dict[str, int] | None:
    keys = [_key(cell) for cell in row]
    found: dict[str, int] = {}
    for column, names in _HEADER_NAMES.items():
        for index, key in enumerate(keys):
            if key in names and column not in found:
                found[column] = index
                break
    return found if {"receipt", "paid_in"} <= set(found) else None


def _cents(text: str) -> int | None:
    cleaned = text.strip().replace(",", "").replace(" ", "").upper().removeprefix("KES")
    if cleaned in ("", "-", "--"):
        return 0
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    if not _AMOUNT_RE.fullmatch(cleaned):
        return None
    negative = cleaned.startswith("-")
    whole, _, fraction = cleaned.lstrip("-").partition(".")
    cents = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    return -cents if negative else cents


def _time(text: str) -> datetime | None:
    cleaned = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    return None


def parse_statement(text: str) -> Statement:
    """The statement's transaction lines (times as printed: Nairobi local
    time) and the lines it could not read. Raises NotAStatement when no
    header row names a receipt and a paid-in column."""
    sample = text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(sample), dialect))
    columns: dict[str, int] | None = None
    lines: list[StatementLine] = []
    problems: list[StatementProblem] = []
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _columns(row)
            continue

        def cell(name: str, row: list[str] = row, found: dict[str, int] = columns) -> str:
            index = found.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        code = re.sub(r"\s+", "", cell("receipt")).upper()
        if not code:
            continue
        if not MPESA_CODE_RE.fullmatch(code):
            problems.append(StatementProblem(number, f"'{code[:20]}' is not an M-Pesa code"))
            continue
        paid_in, withdrawn = _cents(cell("paid_in")), _cents(cell("withdrawn"))
        if paid_in is None or withdrawn is None:
            problems.append(StatementProblem(number, f"{code}: the amount is not a number"))
            continue
        raw_time = cell("completed")
        completed_at = _time(raw_time) if raw_time else None
        if raw_time and completed_at is None:
            problems.append(StatementProblem(number, f"{code}: '{raw_time}' is not a time"))
        lines.append(
            StatementLine(
                line_number=number,
                code=code,
                completed_at=completed_at,
                details=cell("details"),
                status=cell("status"),
                paid_in_cents=abs(paid_in),
                withdrawn_cents=abs(withdrawn),
            )
        )
    if columns is None:
        raise NotAStatement(
            "No header row with Receipt No. and Paid In columns; export the till statement as CSV"
        )
    return Statement(lines, problems)


@dataclass(frozen=True)
class TakenPayment:
    """A payment taken by M-Pesa as the reconciliation sees it; a reversed
    one (or a reversal) is left out by the caller or marked ``reversed``."""

    payment_id: uuid.UUID
    code: str
    amount_cents: int
    receipt_number: str | None = None
    reversed: bool = False


@dataclass(frozen=True)
class Match:
    code: str
    statement: StatementLine
    payments: list[TakenPayment]

    @property
    def taken_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def difference_cents(self) -> int:
        """Paid in on the statement less what the desk recorded."""
        return self.statement.paid_in_cents - self.taken_cents


@dataclass
class Reconciliation:
    matched: list[Match] = field(default_factory=list)
    """The statement line and the payments with its code agree."""
    amounts_differ: list[Match] = field(default_factory=list)
    only_on_statement: list[StatementLine] = field(default_factory=list)
    """Money received that no payment records (a patient not billed, a code mistyped)."""
    only_in_payments: list[TakenPayment] = field(default_factory=list)
    """Payments whose code the statement lacks (a wrong or made-up code)."""
    not_money_in: list[StatementLine] = field(default_factory=list)
    """Statement lines that are not completed money in (withdrawals, charges, failures)."""


def reconcile(
    statement: Iterable[StatementLine], payments: Iterable[TakenPayment]
) -> Reconciliation:
    """Match each completed money-in line to the payments that used its code
    (one M-Pesa payment may be split over several bills), and list what is
    on one side only and the amounts that differ. Reversed payments count as
    not taken."""
    result = Reconciliation()
    by_code: dict[str, list[TakenPayment]] = {}
    for payment in payments:
        if payment.reversed or payment.amount_cents <= 0:
            continue
        by_code.setdefault(payment.code.strip().upper(), []).append(payment)
    seen: set[str] = set()
    for line in statement:
        if not line.completed or line.paid_in_cents <= 0:
            result.not_money_in.append(line)
            continue
        taken = by_code.get(line.code)
        if not taken or line.code in seen:
            result.only_on_statement.append(line)
            continue
        seen.add(line.code)
        match = Match(line.code, line, taken)
        (result.matched if match.difference_cents == 0 else result.amounts_differ).append(match)
    for code, taken in by_code.items():
        if code not in seen:
            result.only_in_payments.extend(taken)
    return result
