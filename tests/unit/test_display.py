"""Every value of the clinic's vocabularies has its one label in
desktop/display.py: a new status, role or vital without one fails here
(it would otherwise show as its code)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from clinic.enums import (
    BatchPeriod,
    ClaimStatus,
    PaymentMethod,
    Role,
    ServiceKind,
    Sex,
    VisitStatus,
)
from clinic.lab.catalogue import ResultKind
from clinic.rules.vitals import VITALS, Flag
from desktop import display

VOCABULARIES: dict[str, tuple[Mapping[str, object], Iterable[str]]] = {
    "visit statuses": (display._VISIT_STATUS, VisitStatus),
    "sexes": (display._SEX, Sex),
    "payment methods": (display._PAYMENT_METHOD, PaymentMethod),
    "roles": (display._ROLE, Role),
    "claim statuses": (display._CLAIM_STATUS, ClaimStatus),
    "claim moves": (display._CLAIM_MOVE, ClaimStatus),
    "batch periods": (display._BATCH_PERIOD, BatchPeriod),
    "service kinds": (display._SERVICE_KIND, ServiceKind),
    "vital flags": (display._FLAG, Flag),
    "lab result kinds": (display._RESULT_KIND, ResultKind),
    "vitals": (display._VITAL, VITALS),
}


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_value_has_its_label(vocabulary: str) -> None:
    labels, values = VOCABULARIES[vocabulary]

    assert set(labels) == set(values)


def test_a_label_in_its_context_and_a_value_this_app_does_not_know_as_sent() -> None:
    assert display.visit_status_text(VisitStatus.REGISTERED) == "Waiting for triage"
    assert display.sex_text("F") == "Female"
    assert display.unit_text("breaths/min") == "breaths/min"
    assert display.visit_status_text("ON_HOLD") == "ON_HOLD"
    assert display.waited_text(65) == "1 h 05 min"
