"""The lab: the worklist of requested tests, and each request's results.
Lab technicians write results (and nothing else of the record); clinicians
and lab technicians read them (DESIGN.md's tables, in ``clinic.permissions``).
Results go to the caller's own branch; an admin without a branch acts for all.
Everyone reads the test catalogue; admins set it, as they set the price list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from clinic.clock import clinic_today
from clinic.journal.service import record_audit
from clinic.lab.catalogue import definition_of
from clinic.lab.queries import lab_worklist, result_sheet
from clinic.lab.rules import clinic_catalogue, request_patient
from clinic.lab.service import get_lab_request, record_lab_results, set_lab_test
from clinic.permissions import Data
from server.deps import (
    Caller,
    CurrentUser,
    DbSession,
    own_branch_only,
    reader_of,
    working_branch,
    writer_of,
)
from server.schemas import (
    LabFieldOut,
    LabResultOut,
    LabResultsIn,
    LabSheetOut,
    LabTestIn,
    LabTestOut,
    LabWorkItemOut,
)

router = APIRouter(prefix="/api/lab", tags=["lab"])

RequestReader = Annotated[Caller, Depends(reader_of(Data.LAB_REQUESTS))]
ResultReader = Annotated[Caller, Depends(reader_of(Data.LAB_RESULTS))]
Technician = Annotated[Caller, Depends(writer_of(Data.LAB_RESULTS))]
CatalogueWriter = Annotated[Caller, Depends(writer_of(Data.PRICE_LIST))]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _sheet(session: Session, request_id: uuid.UUID) -> LabSheetOut:
    sheet = result_sheet(session, request_id)
    return LabSheetOut(
        request_id=sheet.request_id,
        visit_id=sheet.visit_id,
        test_name=sheet.test.name,
        patient_name=sheet.patient_name,
        op_number=sheet.op_number,
        status=sheet.status.value,
        notes=sheet.notes,
        fields=[
            LabFieldOut(
                code=f.code,
                label=f.label,
                kind=f.kind.value,
                unit=f.unit,
                values=list(f.values),
                reference_range=f.range_text(sheet.age_years, sheet.sex),
                required=f.required,
            )
            for f in sheet.test.fields
        ],
        results=[LabResultOut.model_validate(line) for line in sheet.results],
    )


def _own_branch_request(session: Session, caller: Caller, request_id: uuid.UUID) -> None:
    visit, _patient = request_patient(session, get_lab_request(request_id, session=session))
    own_branch_only(caller, visit.branch_id, "lab request")


@router.get("/tests", response_model=list[LabTestOut], responses={401: {}})
def list_tests(_caller: CurrentUser, session: DbSession) -> list[LabTestOut]:
    """The lab catalogue as the clinic has it: the shipped tests with the
    clinic's own versions in their place."""
    return [
        LabTestOut.model_validate(definition_of(test)) for test in clinic_catalogue(session).tests
    ]


@router.put("/tests/{code}", response_model=LabTestOut, responses=ERRORS)
def put_test(
    code: Annotated[str, Path(max_length=32)],
    body: LabTestIn,
    caller: CatalogueWriter,
    session: DbSession,
) -> LabTestOut:
    """Set the clinic's version of a test (its units, values, ranges), or
    add a test of its own; results already entered keep theirs."""
    test = set_lab_test({"code": code, **body.model_dump()}, session=session, actor=caller.actor())
    session.commit()
    return LabTestOut.model_validate(definition_of(test))


@router.get("/worklist", response_model=list[LabWorkItemOut], responses={401: {}, 403: {}, 422: {}})
def worklist(
    caller: RequestReader,
    session: DbSession,
    day: Annotated[date | None, Query(alias="date")] = None,
    branch_code: Annotated[str | None, Query(max_length=16)] = None,
    include_done: bool = False,
) -> list[LabWorkItemOut]:
    """The tests requested at the caller's branch on a day (today by
    default), oldest first, with the patient and the requesting clinician."""
    branch_id = working_branch(session, caller, branch_code, doing="see the lab's worklist")
    items = lab_worklist(session, branch_id, day or clinic_today(), include_done=include_done)
    return [LabWorkItemOut.model_validate(item) for item in items]


@router.get("/requests/{request_id}", response_model=LabSheetOut, responses=ERRORS)
def read_results(request_id: uuid.UUID, caller: ResultReader, session: DbSession) -> LabSheetOut:
    """A request's fields (units, allowed values, the patient's normal
    ranges) and its results; reading them is recorded in the audit log."""
    _own_branch_request(session, caller, request_id)
    sheet = _sheet(session, request_id)
    record_audit(
        session,
        caller.actor(),
        action="read_clinical_record",
        entity="lab_requests",
        entity_id=request_id,
        after={"parts": ["lab_results"]},
    )
    session.commit()
    return sheet


@router.post("/requests/{request_id}/results", response_model=LabSheetOut, responses=ERRORS)
def enter_results(
    request_id: uuid.UUID, body: LabResultsIn, caller: Technician, session: DbSession
) -> LabSheetOut:
    """Enter (or replace) a request's results; the visit goes back to the
    clinician when it was the last test it waited for."""
    _own_branch_request(session, caller, request_id)
    record_lab_results(request_id, body.values, session=session, actor=caller.actor())
    session.commit()
    return _sheet(session, request_id)
