"""A claim as a FHIR R4 ``Bundle``, the form SHA's claims system and Kenya's
health information exchange take, as KenyaEMR sends it.

:func:`claim_bundle` makes one bundle per claim: the ``Claim`` with its
``Patient``, the facility's ``Organization`` (SHA facility id and KMHFL code),
the clinician's ``Practitioner``, SHA's own ``Organization`` (the insurer and
payor) and the member's ``Coverage`` (principal or dependant). As SHA asks,
every entry has a ``fullUrl`` under SHA's FHIR base, every reference points at
an entry of the bundle by that ``fullUrl``, and the claim's total is the sum
of its items' nets. Resource ids are the clinic's own ids (SHA numbers are
identifiers, not ids), so a claim exported twice names the same resources.

The bundle is a ``collection``: a FHIR ``message`` must start with a
``MessageHeader`` naming the receiving endpoint, which the HIE adds when it
relays the claim. Every bundle is checked against the FHIR R4B models of
``fhir.resources`` before it is returned, so a bundle SHA would refuse for
its shape is never written; this is the one module of ``clinic/`` that
imports that library.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from clinic.claims.document import ClaimDiagnosis, ClaimDocument, ClaimLine
from clinic.db import utcnow
from clinic.enums import Sex
from clinic.errors import InvalidValue
from clinic.files import write_whole
from clinic.rules.diagnoses import ICD10, ICD11
from clinic.rules.money import decimal_kes, decimal_kes_each

SHA_FHIR_BASE = "https://fhir.sha.go.ke/fhir"
"""SHA's FHIR base: entries' fullUrls and SHA's own code systems live under it."""

SHA_NUMBER_SYSTEM = f"{SHA_FHIR_BASE}/identifier/shanumber"
NATIONAL_ID_SYSTEM = f"{SHA_FHIR_BASE}/identifier/nationalid"
CLAIM_ID_SYSTEM = f"{SHA_FHIR_BASE}/claim"
INTERVENTION_SYSTEM = f"{SHA_FHIR_BASE}/CodeSystem/intervention-codes"
FACILITY_REGISTRY_SYSTEM = "https://fr.kenya-hie.health/api/v4/Organization"
"""The Kenya HIE facility registry, where a facility's SHA id (``FID-...``) is kept."""
FACILITY_ID_TYPES = f"{SHA_FHIR_BASE}/terminology/CodeSystem/facility-identifier-types"
KMHFL_SYSTEM = "http://kmhfl.health.go.ke/facility"
"""The Kenya Master Health Facility List."""
OP_NUMBER_SYSTEM = "urn:seth-clinic:op-number"
CLAIM_NUMBER_SYSTEM = "urn:seth-clinic:claim-number"
BRANCH_CODE_SYSTEM = "urn:seth-clinic:branch-code"
USERNAME_SYSTEM = "urn:seth-clinic:username"

DIAGNOSIS_SYSTEMS = {
    ICD10: "http://hl7.org/fhir/sid/icd-10",
    ICD11: "http://id.who.int/icd/release/11/mms",
}
"""The FHIR code system of each diagnosis coding the visit stores."""

HL7 = "http://terminology.hl7.org/CodeSystem"
CURRENCY = "KES"
SHA_ORGANIZATION_ID = "sha"
SHA_NAME = "Social Health Authority"

_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.INTERSEX: "other", Sex.UNKNOWN: "unknown"}


def _url(resource_type: str, resource_id: str) -> str:
    return f"{SHA_FHIR_BASE}/{resource_type}/{resource_id}"


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _money(amount: Decimal) -> dict[str, Any]:
    return {"value": amount, "currency": CURRENCY}


def _moment(moment: datetime) -> str:
    """A stored time as a FHIR dateTime (a naive one is UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.isoformat()


def _patient(document: ClaimDocument) -> dict[str, Any]:
    patient = document.patient
    identifiers = [
        {"use": "official", "system": SHA_NUMBER_SYSTEM, "value": document.sha_member_number},
        {"use": "usual", "system": OP_NUMBER_SYSTEM, "value": patient.op_number},
    ]
    if patient.national_id:
        identifiers.append(
            {"use": "official", "system": NATIONAL_ID_SYSTEM, "value": patient.national_id}
        )
    name: dict[str, Any] = {
        "text": patient.full_name,
        "given": [n for n in (patient.first_name, patient.middle_name) if n],
    }
    if patient.last_name:
        name["family"] = patient.last_name
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": identifiers,
        "name": [name],
        "gender": _GENDER[patient.sex],
    }
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone, "use": "mobile"}]
    return resource


def _facility(document: ClaimDocument) -> dict[str, Any]:
    facility = document.facility
    identifiers: list[dict[str, Any]] = []
    if facility.sha_facility_id:
        identifiers.append(
            {
                "use": "official",
                "type": _coding(FACILITY_ID_TYPES, "fr-code", "Facility registry code"),
                "system": FACILITY_REGISTRY_SYSTEM,
                "value": facility.sha_facility_id,
            }
        )
    if facility.kmhfl_code:
        identifiers.append(
            {"use": "official", "system": KMHFL_SYSTEM, "value": facility.kmhfl_code}
        )
    identifiers.append({"use": "usual", "system": BRANCH_CODE_SYSTEM, "value": facility.code})
    return {
        "resourceType": "Organization",
        "id": str(document.branch_id),
        "identifier": identifiers,
        "active": True,
        "type": [_coding(f"{HL7}/organization-type", "prov", "Healthcare Provider")],
        "name": facility.name,
    }


def _insurer() -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": SHA_ORGANIZATION_ID,
        "active": True,
        "type": [_coding(f"{HL7}/organization-type", "ins", "Insurance Company")],
        "name": SHA_NAME,
    }


def _practitioner(document: ClaimDocument) -> dict[str, Any] | None:
    clinician = document.clinician
    if clinician is None:
        return None
    return {
        "resourceType": "Practitioner",
        "id": str(clinician.id),
        "identifier": [{"use": "usual", "system": USERNAME_SYSTEM, "value": clinician.username}],
        "active": True,
        "name": [{"text": clinician.full_name}],
    }


def _coverage_id(document: ClaimDocument) -> str:
    return f"{document.patient.id}-sha-coverage"


def _coverage(document: ClaimDocument) -> dict[str, Any]:
    """The member's SHA cover: a dependant is covered under the principal's
    number (``subscriberId``), a principal under their own."""
    if document.is_dependant:
        relationship = _coding(f"{HL7}/subscriber-relationship", "other", "Dependant")
        subscriber = document.sha_principal_number
    else:
        relationship = _coding(f"{HL7}/subscriber-relationship", "self", "Self")
        subscriber = document.sha_member_number
    return {
        "resourceType": "Coverage",
        "id": _coverage_id(document),
        "identifier": [
            {"use": "official", "system": SHA_NUMBER_SYSTEM, "value": document.sha_member_number}
        ],
        "status": "active",
        "subscriberId": subscriber,
        "beneficiary": {"reference": _url("Patient", str(document.patient.id))},
        "relationship": relationship,
        "payor": [{"reference": _url("Organization", SHA_ORGANIZATION_ID)}],
    }


def _diagnosis(sequence: int, diagnosis: ClaimDiagnosis) -> dict[str, Any]:
    system = DIAGNOSIS_SYSTEMS.get(diagnosis.code_system)
    if system is None:
        raise InvalidValue(
            "diagnosis",
            f"{diagnosis.code} is coded in {diagnosis.code_system!r}; SHA takes ICD-10 or ICD-11",
        )
    entry: dict[str, Any] = {
        "sequence": sequence,
        "diagnosisCodeableConcept": _coding(system, diagnosis.code, diagnosis.description),
    }
    if diagnosis.is_primary:
        entry["type"] = [_coding(f"{HL7}/ex-diagnosistype", "principal", "Principal Diagnosis")]
    return entry


def _item(sequence: int, line: ClaimLine, document: ClaimDocument) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "productOrService": _coding(INTERVENTION_SYSTEM, line.intervention_code, line.description),
        "servicedDate": document.visit_date.isoformat(),
        "quantity": {"value": line.quantity},
        "unitPrice": _money(decimal_kes_each(line.amount_cents, line.quantity)),
        "net": _money(decimal_kes(line.amount_cents)),
    }


def _claim(document: ClaimDocument) -> dict[str, Any]:
    visit_day = document.visit_date.isoformat()
    insurance: dict[str, Any] = {
        "sequence": 1,
        "focal": True,
        "coverage": {"reference": _url("Coverage", _coverage_id(document))},
    }
    if document.preauthorisation_number:
        insurance["preAuthRef"] = [document.preauthorisation_number]
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "id": str(document.id),
        "identifier": [
            {"system": CLAIM_ID_SYSTEM, "value": str(document.id)},
            {"system": CLAIM_NUMBER_SYSTEM, "value": document.number},
        ],
        "status": "active",
        "type": _coding(f"{HL7}/claim-type", "institutional", "Institutional"),
        "subType": _coding(f"{HL7}/ex-claimsubtype", "op", "OutPatient"),
        "use": "claim",
        "patient": {"reference": _url("Patient", str(document.patient.id))},
        "billablePeriod": {"start": visit_day, "end": visit_day},
        "created": _moment(document.created_at),
        "insurer": {"reference": _url("Organization", SHA_ORGANIZATION_ID)},
        "provider": {"reference": _url("Organization", str(document.branch_id))},
        "priority": _coding(f"{HL7}/processpriority", "normal", "Normal"),
        "insurance": [insurance],
        "total": _money(decimal_kes(sum(line.amount_cents for line in document.lines))),
    }
    if document.clinician is not None:
        claim["careTeam"] = [
            {
                "sequence": 1,
                "provider": {
                    "reference": _url("Practitioner", str(document.clinician.id)),
                    "display": document.clinician.full_name,
                },
                "role": _coding(f"{HL7}/claimcareteamrole", "primary", "Primary provider"),
            }
        ]
    if document.diagnoses:
        claim["diagnosis"] = [
            _diagnosis(sequence, d) for sequence, d in enumerate(document.diagnoses, start=1)
        ]
    if document.lines:
        claim["item"] = [
            _item(sequence, line, document) for sequence, line in enumerate(document.lines, start=1)
        ]
    return claim


def claim_bundle(document: ClaimDocument) -> dict[str, Any]:
    """The claim's FHIR R4 Bundle as JSON-ready data, checked against the
    FHIR R4B models. Raises InvalidValue for a diagnosis coded in a system
    SHA does not take or a line of no units; a bundle the models refuse is a fault here, raised as
    pydantic's ValidationError."""
    resources = [
        _claim(document),
        _patient(document),
        _facility(document),
        _practitioner(document),
        _insurer(),
        _coverage(document),
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(document.id),
        "identifier": {"system": CLAIM_NUMBER_SYSTEM, "value": document.number},
        "type": "collection",
        "timestamp": _moment(utcnow()),
        "entry": [
            {"fullUrl": _url(r["resourceType"], r["id"]), "resource": r}
            for r in resources
            if r is not None
        ],
    }
    checked: dict[str, Any] = Bundle.model_validate(bundle).model_dump(mode="json")
    return checked


def batch_bundles(documents: Iterable[ClaimDocument]) -> list[dict[str, Any]]:
    """One bundle per claim of a batch, in the batch's order (SHA takes one
    claim per bundle)."""
    return [claim_bundle(document) for document in documents]


def bundle_json(bundle: dict[str, Any]) -> bytes:
    """A bundle as the UTF-8 JSON file SHA takes."""
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")


def write_claim_bundle(document: ClaimDocument, path: Path) -> Path:
    """Write the claim's bundle to ``path`` as JSON, whole or not at all."""
    return write_whole(path, bundle_json(claim_bundle(document)))
