"""The API's input, update and output schemas, kept apart. Inputs forbid
unknown fields, so a typo in a field name is a 422, not a silent no-op.

Every input is also refused, with a 422 naming the field, before it can
reach PostgreSQL in a form the database would refuse with an error of its
own: text with a NUL character anywhere in an input (``Input``), and a
whole number outside its column's range (fields typed ``WholeNumber``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from clinic.billing.rules import REASON_MAX, REFERENCE_MAX
from clinic.billing.service import MAX_QUANTITY
from clinic.claims.completeness import FixIn
from clinic.claims.service import MAX_BATCH
from clinic.enums import (
    BatchPeriod,
    ClaimStatus,
    InvoiceStatus,
    PaymentMethod,
    Role,
    ServiceKind,
    Sex,
    StockMovementKind,
    VisitStatus,
)
from clinic.org.service import USERNAME_PATTERN
from clinic.rules.money import MAX_AMOUNT_CENTS

NUL_REASON = "Remove the NUL character (\\u0000): text may not contain it"

INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
WholeNumber = Annotated[int, Field(ge=INTEGER_MIN, le=INTEGER_MAX)]
"""An int that goes into an Integer column (32 bits in PostgreSQL). A
narrower rule (a quantity above 0) is the domain's, with its own message."""


def has_nul(value: object) -> bool:
    """Whether ``value`` is text with a NUL character, or a list or dict
    holding such text (PostgreSQL refuses NUL in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    return False


class Input(BaseModel):
    """Every request body: unknown fields are refused, and so is text with
    a NUL character in any field of any input, nested ones included."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise PydanticCustomError("nul_character", NUL_REASON)
        return value


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldProblem(BaseModel):
    field: str
    reason: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] = []


class ErrorOut(BaseModel):
    error: ErrorBody
    request_id: str


# --- auth -------------------------------------------------------------------


class LoginIn(Input):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: uuid.UUID
    device_name: str | None = Field(default=None, max_length=120)
    device_roles: list[Role] | None = Field(default=None, min_length=1, max_length=len(Role))
    """The roles a new PC serves, chosen by an admin at its first login;
    without them an admin's PC serves ``admin`` and anyone else's their role."""


class RefreshIn(Input):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(Input):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    must_change_password: bool


class BranchOut(Output):
    id: uuid.UUID
    code: str
    name: str
    kmhfl_code: str | None = None
    sha_facility_id: str | None = None


class BranchCreate(Input):
    """Blank code or name: the service says what to give."""

    code: str = Field(max_length=16)
    name: str = Field(max_length=120)
    kmhfl_code: str | None = Field(default=None, max_length=16)
    sha_facility_id: str | None = Field(default=None, max_length=32)


class BranchUpdate(Input):
    """The fields sent change; null clears the KMHFL code or SHA facility id."""

    code: str | None = Field(default=None, max_length=16)
    name: str | None = Field(default=None, max_length=120)
    kmhfl_code: str | None = Field(default=None, max_length=16)
    sha_facility_id: str | None = Field(default=None, max_length=32)


class UserOut(Output):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    branch_id: uuid.UUID | None
    active: bool
    must_change_password: bool


class MeOut(BaseModel):
    user: UserOut
    device_id: uuid.UUID
    device_branch_id: uuid.UUID
    branch: BranchOut | None


class UserCreate(Input):
    username: str = Field(pattern=USERNAME_PATTERN)
    full_name: str = Field(min_length=1, max_length=120)
    role: Role
    branch_code: str | None = Field(default=None, max_length=16)
    password: str = Field(min_length=1, max_length=256)


class UserUpdate(Input):
    full_name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role | None = None
    branch_code: str | None = Field(default=None, max_length=16)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=256)


class DeviceOut(Output):
    id: uuid.UUID
    name: str
    branch_id: uuid.UUID
    roles: list[Role]
    enrolled_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None
    """Its last call to the server: its last sync."""
    clock_skew_seconds: int | None
    app_version: str | None
    pending_changes: int | None
    """Changes it still had to push after its last push, as it reported them."""


class DeviceUpdate(Input):
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    """The roles the PC serves (DESIGN.md, Sync 10)."""


class AuditEventOut(Output):
    id: uuid.UUID
    device_id: uuid.UUID | None
    device_sequence: int
    user_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime
    username: str | None = None
    device_name: str | None = None
    record: str | None = None
    """The row in words (the patient's name and OP number, "visit of ...")."""


class ConflictOut(Output):
    """A same-field conflict: the record (in words), the field, both values,
    each side's user and PC and when it reached the server; how it was
    settled, if it was."""

    id: uuid.UUID
    entity: str
    row_id: uuid.UUID
    record: str
    field: str
    winning_value: Any
    losing_value: Any
    won_at: datetime
    winning_user: str | None
    winning_device: str | None
    lost_at: datetime | None
    losing_user: str | None
    losing_device: str | None
    resolution: str | None
    resolved_at: datetime | None


class ConflictResolve(Input):
    keep: Literal["kept", "other"] = Field(
        description="kept: the value the record holds stays; other: the other value replaces it"
    )


class ChainBreakOut(Output):
    """Where a device's audit chain breaks: the event found there (its
    number and id), what is wrong (``edited``, ``missing``, ``reordered``,
    ``repeated``, ``unlinked``) and a sentence saying so."""

    sequence: int
    event_id: uuid.UUID
    problem: str
    detail: str


class AuditChainOut(Output):
    device_id: uuid.UUID | None
    device_name: str | None
    events: int
    last_sequence: int
    intact: bool
    broken: ChainBreakOut | None


class AuditVerifyOut(Output):
    """Every device's audit chain on the server, broken ones first."""

    intact: bool
    checked_at: datetime
    chains: list[AuditChainOut]


# --- patients ---------------------------------------------------------------


class PatientFields(Input):
    middle_name: str | None = Field(default=None, max_length=80)
    last_name: str | None = Field(default=None, max_length=80)
    sex: Sex | None = None
    date_of_birth: date | None = None
    national_id: str | None = Field(default=None, max_length=32)
    sha_number: str | None = Field(default=None, max_length=32)
    sha_principal_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    residence: str | None = Field(default=None, max_length=120)
    next_of_kin_name: str | None = Field(default=None, max_length=120)
    next_of_kin_phone: str | None = Field(default=None, max_length=32)
    next_of_kin_relationship: str | None = Field(default=None, max_length=40)
    legacy_number: str | None = Field(default=None, max_length=32)


class PatientCreate(PatientFields):
    first_name: str = Field(min_length=1, max_length=80)
    age: str | None = Field(default=None, max_length=32)


class PatientUpdate(PatientFields):
    first_name: str | None = Field(default=None, min_length=1, max_length=80)


class PatientOut(Output):
    id: uuid.UUID
    op_number: str
    legacy_number: str | None
    first_name: str
    middle_name: str | None
    last_name: str | None
    sex: Sex
    date_of_birth: date | None
    date_of_birth_estimated: bool
    national_id: str | None
    sha_number: str | None
    sha_principal_number: str | None = None
    phone: str | None
    residence: str | None
    next_of_kin_name: str | None = None
    next_of_kin_phone: str | None = None
    next_of_kin_relationship: str | None = None
    merged_into: uuid.UUID | None = None


class DuplicateOut(Output):
    patient_id: uuid.UUID
    op_number: str
    full_name: str
    date_of_birth: date | None
    phone: str | None
    reasons: list[str]


class RegistrationOut(BaseModel):
    patient: PatientOut
    duplicates: list[DuplicateOut]


# --- visits -----------------------------------------------------------------


class VisitOpen(Input):
    patient_id: uuid.UUID
    branch_code: str | None = Field(default=None, max_length=16)


class VisitMove(Input):
    status: VisitStatus
    reason: str | None = Field(default=None, max_length=200)


class VisitOut(Output):
    """What everyone may read of a visit: no clinical notes."""

    id: uuid.UUID
    patient_id: uuid.UUID
    branch_id: uuid.UUID
    visit_date: date
    is_new: bool
    status: VisitStatus
    queue_position: int | None
    signed_at: datetime | None


class TriageIn(Input):
    temperature_c: float | None = None
    pulse_bpm: float | None = None
    respiratory_rate: float | None = None
    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    spo2_percent: float | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    muac_cm: float | None = None
    blood_glucose_mmol: float | None = None
    confirm_critical: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class TriageOut(Output):
    id: uuid.UUID
    temperature_c: float | None
    pulse_bpm: float | None
    respiratory_rate: float | None
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    spo2_percent: float | None
    weight_kg: float | None
    height_cm: float | None
    muac_cm: float | None
    blood_glucose_mmol: float | None
    bmi: float | None
    flags: dict[str, str]
    notes: str | None


class PrescriptionIn(Input):
    drug: str = Field(max_length=200)
    dose: str = Field(max_length=60)
    frequency: str = Field(max_length=60)
    duration: str = Field(max_length=60)
    quantity: WholeNumber
    instructions: str | None = Field(default=None, max_length=2000)


class LabRequestIn(Input):
    test_name: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class ConsultationIn(Input):
    complaint: str | None = Field(default=None, max_length=10000)
    history: str | None = Field(default=None, max_length=10000)
    examination: str | None = Field(default=None, max_length=10000)
    plan: str | None = Field(default=None, max_length=10000)
    diagnoses: list[str] = Field(default=[], max_length=50)
    prescriptions: list[PrescriptionIn] = Field(default=[], max_length=50)
    lab_requests: list[LabRequestIn] = Field(default=[], max_length=50)


class AmendmentIn(Input):
    field: str = Field(max_length=40)
    new_value: str = Field(max_length=10000)
    reason: str = Field(max_length=2000)


class DiagnosisOut(Output):
    code_system: str
    code: str
    description: str
    is_primary: bool


class PrescriptionOut(Output):
    drug: str
    dose: str
    frequency: str
    duration: str
    quantity: int
    instructions: str | None


class LabRequestOut(Output):
    id: uuid.UUID
    test_name: str
    notes: str | None
    status: str
    result: str | None


class AmendmentOut(Output):
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    amended_by: uuid.UUID | None
    amended_at: datetime


class VisitDetailOut(VisitOut):
    """A visit with the parts of the record the reader's role may see; the
    parts it may not see are left out (null), never shown."""

    complaint: str | None = None
    history: str | None = None
    examination: str | None = None
    plan: str | None = None
    clinician_id: uuid.UUID | None = None
    triage: list[TriageOut] | None = None
    diagnoses: list[DiagnosisOut] | None = None
    prescriptions: list[PrescriptionOut] | None = None
    lab_requests: list[LabRequestOut] | None = None
    amendments: list[AmendmentOut] | None = None


# --- the lab -------------------------------------------------------------------


class LabResultsIn(Input):
    """A requested test's results by the catalogue's field codes (``hb``,
    ``result``): a number, one of the field's values, or text."""

    values: dict[str, StrictFloat | StrictStr | None] = Field(max_length=40)


class LabTestIn(Input):
    """A test of the lab catalogue as ``resources/lab_tests.json`` writes it
    (its code is in the path); each part is checked by the clinic's rules."""

    name: str = Field(max_length=200)
    aliases: list[str] = Field(default=[], max_length=20)
    fields: list[dict[str, Any]] = Field(max_length=40)


class LabTestOut(BaseModel):
    code: str
    name: str
    aliases: list[str]
    fields: list[dict[str, Any]]


class LabWorkItemOut(Output):
    request_id: uuid.UUID
    visit_id: uuid.UUID
    patient_id: uuid.UUID
    op_number: str
    patient_name: str
    sex: str
    date_of_birth: date | None
    test_name: str
    notes: str | None
    requested_at: datetime
    clinician: str
    status: str
    critical: bool


class LabFieldOut(BaseModel):
    code: str
    label: str
    kind: str
    unit: str
    values: list[str]
    """A coded result's allowed values."""
    reference_range: str
    """The normal range for this patient's age and sex."""
    required: bool


class LabResultOut(Output):
    analyte: str
    label: str
    shown: str
    reference_range: str
    flag: str | None
    abnormal: bool
    entered_at: datetime
    entered_by: str


class LabSheetOut(BaseModel):
    request_id: uuid.UUID
    visit_id: uuid.UUID
    test_name: str
    patient_name: str
    op_number: str
    status: str
    notes: str | None
    fields: list[LabFieldOut]
    results: list[LabResultOut]


class HealthOut(BaseModel):
    status: str
    database: bool
    uptime_seconds: float
    version: str


# --- price list and billing -------------------------------------------------
# Money is integer cents of KES, bounded so that a slip of extra zeros (or
# 10**12) is a 422 naming the field, never a database error. Text reaches
# the clinic's services, which refuse control characters (NUL) by field.

MoneyCents = Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)]
PositiveCents = Annotated[int, Field(ge=1, le=MAX_AMOUNT_CENTS)]


class ServiceCreate(Input):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    kind: ServiceKind
    price_cents: MoneyCents
    effective_from: date | None = None
    sha_intervention_code: str | None = Field(default=None, max_length=32)


class ServiceUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    sha_intervention_code: str | None = Field(default=None, max_length=32)
    active: bool | None = None


class ServiceOut(Output):
    id: uuid.UUID
    code: str
    name: str
    kind: ServiceKind
    sha_intervention_code: str | None
    active: bool
    price_cents: int | None = None
    """The price today (None: not priced yet)."""


class PriceIn(Input):
    price_cents: MoneyCents
    effective_from: date


class PriceOut(Output):
    id: uuid.UUID
    service_id: uuid.UUID
    price_cents: int
    effective_from: date


class InvoiceLineIn(Input):
    service_id: uuid.UUID
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class InvoiceCreate(Input):
    visit_id: uuid.UUID
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=100)


class InvoiceLineOut(Output):
    id: uuid.UUID
    service_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int


class InvoiceOut(Output):
    id: uuid.UUID
    visit_id: uuid.UUID | None
    patient_id: uuid.UUID
    branch_id: uuid.UUID
    status: InvoiceStatus
    total_cents: int
    paid_cents: int
    balance_cents: int
    issued_at: datetime
    cancel_reason: str | None
    lines: list[InvoiceLineOut] = []


class PaymentIn(Input):
    invoice_id: uuid.UUID
    method: PaymentMethod
    amount_cents: PositiveCents
    reference: str | None = Field(default=None, max_length=64)
    tendered_cents: PositiveCents | None = None


class ReversalIn(Input):
    reason: str = Field(min_length=1, max_length=500)


class PaymentOut(Output):
    id: uuid.UUID
    invoice_id: uuid.UUID
    branch_id: uuid.UUID
    method: PaymentMethod
    amount_cents: int
    reference: str | None
    receipt_number: str | None
    cashier_id: uuid.UUID
    shift_id: uuid.UUID | None
    received_at: datetime
    reverses: uuid.UUID | None
    reversal_reason: str | None


class PaymentTakenOut(PaymentOut):
    change_cents: int = 0
    """Cash to give back (never stored as paid)."""
    warnings: list[str] = []
    """For the cashier to decide on: an M-Pesa code used before, and where."""


class ShiftOpen(Input):
    opening_float_cents: MoneyCents
    branch_code: str | None = Field(default=None, max_length=16)


class ShiftClose(Input):
    counted_cash_cents: MoneyCents


class ShiftOut(Output):
    id: uuid.UUID
    branch_id: uuid.UUID
    cashier_id: uuid.UUID
    opened_at: datetime
    opening_float_cents: int
    closed_at: datetime | None
    expected_cash_cents: int | None
    counted_cash_cents: int | None
    variance_cents: int | None


class MethodCashUpOut(BaseModel):
    method: PaymentMethod
    received_cents: int
    reversed_cents: int
    expected_cents: int
    counted_cents: int | None
    """Counted at the close for cash; the other methods are not counted in a drawer."""
    variance_cents: int | None


class ShiftReportOut(BaseModel):
    shift: ShiftOut
    methods: list[MethodCashUpOut]
    payments: list[PaymentOut]
    reversals: list[PaymentOut]


# --- claims -------------------------------------------------------------------


class ClaimCreate(Input):
    visit_id: uuid.UUID


class ClaimMove(Input):
    status: ClaimStatus
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    """SHA's reason for a rejection (needed then), a note for other moves."""
    approved_cents: MoneyCents | None = None
    paid_cents: MoneyCents | None = None
    paid_on: date | None = None
    payment_reference: str | None = Field(default=None, max_length=REFERENCE_MAX)


class MissingOut(BaseModel):
    """Something SHA would reject the claim for, and the screen that fixes it."""

    code: str
    message: str
    fix_in: FixIn


class ClaimItemOut(Output):
    id: uuid.UUID
    invoice_line_id: uuid.UUID | None
    service_id: uuid.UUID | None
    intervention_code: str
    description: str
    quantity: int
    amount_cents: int
    tariff_cents: int | None
    """SHA's tariff for one unit, where the price list has one."""


class ClaimStatusChangeOut(Output):
    from_status: ClaimStatus | None
    to_status: ClaimStatus
    changed_at: datetime
    note: str | None
    created_by: uuid.UUID | None


class ClaimOut(Output):
    id: uuid.UUID
    visit_id: uuid.UUID
    patient_id: uuid.UUID
    invoice_id: uuid.UUID
    branch_id: uuid.UUID
    batch_id: uuid.UUID | None
    sha_member_number: str
    sha_principal_number: str | None
    preauthorisation_number: str | None
    status: ClaimStatus
    claimed_cents: int
    approved_cents: int | None
    paid_cents: int | None
    rejection_reason: str | None
    submitted_at: datetime | None
    paid_on: date | None
    payment_reference: str | None
    created_at: datetime


class ClaimDetailOut(ClaimOut):
    items: list[ClaimItemOut] = []
    missing: list[MissingOut] = []
    """Empty when the claim may be READY."""
    history: list[ClaimStatusChangeOut] = []


class ClaimBatchCreate(Input):
    claim_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)
    period: BatchPeriod = BatchPeriod.WEEKLY


class ClaimBatchSubmit(Input):
    reference: str | None = Field(default=None, max_length=REFERENCE_MAX)
    """The SHA portal's reference for the batch, when it gives one."""


class ClaimBatchOut(Output):
    id: uuid.UUID
    branch_id: uuid.UUID
    period: BatchPeriod
    period_start: date
    period_end: date
    submitted_at: datetime | None
    reference: str | None
    claimed_cents: int = 0
    claims: list[ClaimOut] = []


# --- pharmacy and stock -------------------------------------------------------
# Quantities are units; a count beyond a column's range is a 422 here, a
# narrower rule (a receipt above 0) is the clinic's, with its own message.


class DispensingIn(Input):
    prescription_id: uuid.UUID
    quantity: WholeNumber
    service_id: uuid.UUID | None = None
    """The drug given, when it is not the one prescribed."""
    substitution_reason: str | None = Field(default=None, max_length=REASON_MAX)
    counselling: str | None = Field(default=None, max_length=1000)
    close_reason: str | None = Field(default=None, max_length=REASON_MAX)
    """Closes the line: the rest is no longer owed."""


class GivenOut(Output):
    quantity: int
    drug_name: str
    substitution_reason: str | None
    counselling: str | None
    dispensed_by: uuid.UUID
    dispensed_at: datetime


class LineOut(Output):
    prescription_id: uuid.UUID
    visit_id: uuid.UUID
    drug: str
    dose: str
    frequency: str
    duration: str
    instructions: str | None
    prescribed: int
    given: int
    owed: int
    closed: bool
    close_reason: str | None
    prescribed_drug_id: uuid.UUID | None
    prescribed_drug_name: str | None
    dispensings: list[GivenOut]


class DispensedOut(BaseModel):
    id: uuid.UUID
    line: LineOut
    warnings: list[str]
    """A dispensing beyond the stock on hand (the count may be behind)."""
    visit_completed: bool


class WorklistOut(Output):
    visit_id: uuid.UUID
    visit_date: date
    patient_id: uuid.UUID
    patient_name: str
    op_number: str
    lines: int
    lines_owed: int
    units_owed: int


class StockMovementIn(Input):
    service_id: uuid.UUID
    kind: StockMovementKind
    quantity: WholeNumber
    """Signed: receipts and returns above 0, expiry write-offs below 0."""
    batch: str | None = Field(default=None, max_length=40)
    expiry: date | None = None
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    branch_code: str | None = Field(default=None, max_length=16)


class StockCountIn(Input):
    service_id: uuid.UUID
    batch: str | None = Field(default=None, max_length=40)
    expiry: date | None = None
    counted: WholeNumber
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    branch_code: str | None = Field(default=None, max_length=16)


class ReorderLevelIn(Input):
    service_id: uuid.UUID
    level: WholeNumber
    branch_code: str | None = Field(default=None, max_length=16)


class ReorderLevelOut(Output):
    service_id: uuid.UUID
    branch_id: uuid.UUID
    level: int


class StockMovementOut(Output):
    id: uuid.UUID
    service_id: uuid.UUID
    branch_id: uuid.UUID
    batch: str
    expiry: date | None
    quantity: int
    kind: StockMovementKind
    reason: str | None
    dispensing_id: uuid.UUID | None
    moved_by: uuid.UUID
    moved_at: datetime


class BatchStockOut(Output):
    batch: str
    expiry: date | None
    on_hand: int


class DrugStockOut(Output):
    service_id: uuid.UUID
    code: str
    name: str
    on_hand: int
    reorder_level: int | None
    low: bool
    nearest_expiry: date | None
    batches: list[BatchStockOut]


class ExpiringBatchOut(Output):
    service_id: uuid.UUID
    name: str
    batch: str
    expiry: date
    on_hand: int
    expired: bool
