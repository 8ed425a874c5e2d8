"""A claim as SHA's FHIR R4 bundle: valid against fhir.resources (R4B), every
reference inside the bundle, and the claim's codes, people and money right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic.claims.document import ClaimDiagnosis, ClaimDocument
from clinic.claims.fhir import (
    DIAGNOSIS_SYSTEMS,
    FACILITY_REGISTRY_SYSTEM,
    INTERVENTION_SYSTEM,
    KMHFL_SYSTEM,
    SHA_NUMBER_SYSTEM,
    batch_bundles,
    claim_bundle,
    write_claim_bundle,
)
from clinic.errors import InvalidValue
from clinic.rules.diagnoses import ICD10, ICD11
from tests.claim_documents import ANAEMIA, MALARIA, claim_document, claim_line

Resource = dict[str, Any]


def resources(bundle: Resource, kind: str) -> list[Resource]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def only(bundle: Resource, kind: str) -> Resource:
    (resource,) = resources(bundle, kind)
    return resource


def references(data: object) -> Iterator[str]:
    """Every ``reference`` anywhere in ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(data, list):
        for value in data:
            yield from references(value)


def entry_url(bundle: Resource, resource: Resource) -> str:
    urls: list[str] = [e["fullUrl"] for e in bundle["entry"] if e["resource"] is resource]
    (url,) = urls
    return url


def test_the_bundle_is_valid_fhir_r4b_and_every_reference_is_inside_it() -> None:
    bundle = claim_bundle(claim_document())

    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == ["Claim", "Coverage", "Organization", "Organization", "Patient", "Practitioner"]
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    for e in bundle["entry"]:
        kind, rid = e["resource"]["resourceType"], e["resource"]["id"]
        assert e["fullUrl"] == f"https://fhir.sha.go.ke/fhir/{kind}/{rid}"
    found = list(references(bundle))
    assert len(found) >= 7
    assert set(found) <= set(urls), set(found) - set(urls)
    json.dumps(bundle)  # JSON as it is, Decimal-free


def test_the_claim_names_patient_facility_sha_clinician_and_cover() -> None:
    document = claim_document()
    bundle = claim_bundle(document)
    claim = only(bundle, "Claim")
    patient, practitioner = only(bundle, "Patient"), only(bundle, "Practitioner")
    coverage = only(bundle, "Coverage")
    facility, sha = sorted(resources(bundle, "Organization"), key=lambda o: o["id"] == "sha")

    assert claim["status"] == "active" and claim["use"] == "claim"
    assert claim["type"]["coding"][0]["code"] == "institutional"
    assert claim["subType"]["coding"][0]["code"] == "op"
    assert claim["billablePeriod"] == {"start": "2026-11-30", "end": "2026-11-30"}
    assert claim["created"].startswith("2026-11-30T08:05:00")
    assert {i["value"] for i in claim["identifier"]} == {
        str(document.id),
        "MAIN-20261130-OP-2026-000123-3",
    }
    assert claim["patient"]["reference"] == entry_url(bundle, patient)
    assert claim["provider"]["reference"] == entry_url(bundle, facility)
    assert claim["insurer"]["reference"] == entry_url(bundle, sha)
    assert claim["careTeam"][0]["provider"]["reference"] == entry_url(bundle, practitioner)
    assert claim["insurance"][0]["coverage"]["reference"] == entry_url(bundle, coverage)
    assert claim["insurance"][0]["focal"] is True

    assert patient["name"][0] == {
        "text": "Mary Wanjiru Otieno",
        "given": ["Mary", "Wanjiru"],
        "family": "Otieno",
    }
    assert patient["gender"] == "female" and patient["birthDate"] == "1990-03-14"
    assert {"system": SHA_NUMBER_SYSTEM, "value": "CR1234567890123-4"}.items() <= (
        patient["identifier"][0].items()
    )
    assert {i["value"] for i in patient["identifier"]} >= {"OP-2026-000123-3", "23456789"}

    assert facility["name"] == "Main branch"
    ids = {i.get("system"): i["value"] for i in facility["identifier"]}
    assert ids[FACILITY_REGISTRY_SYSTEM] == "FID-47-123456-7"
    assert ids[KMHFL_SYSTEM] == "23157"
    assert sha["name"] == "Social Health Authority"
    assert practitioner["name"] == [{"text": "Dr James Kamau"}]

    assert coverage["status"] == "active"
    assert coverage["beneficiary"]["reference"] == entry_url(bundle, patient)
    assert coverage["payor"] == [{"reference": entry_url(bundle, sha)}]
    assert coverage["identifier"][0]["value"] == "CR1234567890123-4"
    assert coverage["subscriberId"] == "CR1234567890123-4"
    assert coverage["relationship"]["coding"][0]["code"] == "self"


def test_a_dependant_is_covered_under_the_principals_number() -> None:
    coverage = only(claim_bundle(claim_document(dependant=True)), "Coverage")
    assert coverage["identifier"][0]["value"] == "CR1234567890123-4"
    assert coverage["subscriberId"] == "CR9876543210987-6"
    assert coverage["relationship"]["coding"][0]["code"] == "other"


def test_diagnoses_carry_their_icd_system_and_the_primary_comes_first() -> None:
    claim = only(claim_bundle(claim_document()), "Claim")
    first, second = claim["diagnosis"]
    assert first["sequence"] == 1 and second["sequence"] == 2
    assert first["diagnosisCodeableConcept"]["coding"] == [
        {
            "system": "http://hl7.org/fhir/sid/icd-10",
            "code": "B54",
            "display": "Unspecified malaria",
        }
    ]
    assert first["type"][0]["coding"][0]["code"] == "principal"
    assert second["diagnosisCodeableConcept"]["coding"] == [
        {"system": "http://id.who.int/icd/release/11/mms", "code": "1F4Z"}
    ]
    assert "type" not in second
    assert set(DIAGNOSIS_SYSTEMS) == {ICD10, ICD11}


def test_items_carry_the_intervention_code_quantity_and_kes_amounts_adding_to_the_total() -> None:
    claim = only(claim_bundle(claim_document()), "Claim")
    items = [
        (
            i["sequence"],
            i["productOrService"]["coding"][0]["system"],
            i["productOrService"]["coding"][0]["code"],
            i["quantity"]["value"],
            i["unitPrice"],
            i["net"],
        )
        for i in claim["item"]
    ]
    kes = "KES"
    assert items == [
        (
            1,
            INTERVENTION_SYSTEM,
            "SHA-01-001",
            1,
            {"value": 500.0, "currency": kes},
            {"value": 500.0, "currency": kes},
        ),
        (
            2,
            INTERVENTION_SYSTEM,
            "SHA-03-014",
            1,
            {"value": 250.0, "currency": kes},
            {"value": 250.0, "currency": kes},
        ),
        (
            3,
            INTERVENTION_SYSTEM,
            "SHA-12-004",
            4,
            {"value": 125.0, "currency": kes},
            {"value": 500.0, "currency": kes},
        ),
    ]
    assert all(i["servicedDate"] == "2026-11-30" for i in claim["item"])
    assert claim["total"] == {"value": 1250.0, "currency": kes}
    assert claim["total"]["value"] == sum(i["net"]["value"] for i in claim["item"])


def test_cents_survive_into_the_bundle() -> None:
    document = claim_document(lines=[claim_line("SHA-12-004", "Paracetamol", 3, 100_01)])
    item = only(claim_bundle(document), "Claim")["item"][0]
    assert item["net"]["value"] == 100.01
    assert item["unitPrice"]["value"] == 33.34  # rounded half up to the cent


def test_a_claim_without_diagnoses_lines_or_clinician_is_still_a_valid_bundle() -> None:
    bundle = claim_bundle(claim_document(lines=[], diagnoses=[], clinician=None))
    Bundle.model_validate(bundle)
    claim = only(bundle, "Claim")
    assert "diagnosis" not in claim and "item" not in claim and "careTeam" not in claim
    assert claim["total"] == {"value": 0.0, "currency": "KES"}
    assert resources(bundle, "Practitioner") == []


def test_a_preauthorisation_number_goes_with_the_insurance() -> None:
    claim = only(claim_bundle(claim_document(preauthorisation_number="PA-2026-0042")), "Claim")
    assert claim["insurance"][0]["preAuthRef"] == ["PA-2026-0042"]
    assert "preAuthRef" not in only(claim_bundle(claim_document()), "Claim")["insurance"][0]


def test_a_diagnosis_in_a_system_sha_does_not_take_is_refused_by_name() -> None:
    document = claim_document(diagnoses=[ClaimDiagnosis("SNOMED", "38907003", "Malaria", True)])
    with pytest.raises(InvalidValue) as raised:
        claim_bundle(document)
    assert raised.value.field == "diagnosis" and "38907003" in raised.value.reason


def test_a_line_of_no_units_is_refused_by_name() -> None:
    document = claim_document(lines=[claim_line("SHA-01-001", "Consultation", 0, 500_00)])
    with pytest.raises(InvalidValue) as raised:
        claim_bundle(document)
    assert raised.value.field == "quantity" and "give 1 or more" in raised.value.reason


def test_a_batch_is_one_bundle_per_claim_in_order() -> None:
    documents = [claim_document(), claim_document(dependant=True, diagnoses=[ANAEMIA, MALARIA])]
    bundles = batch_bundles(documents)
    assert [b["id"] for b in bundles] == [str(d.id) for d in documents]
    assert [only(b, "Claim")["id"] for b in bundles] == [str(d.id) for d in documents]


def test_the_bundle_file_is_the_bundle_as_json(tmp_path: Path) -> None:
    document: ClaimDocument = claim_document()
    path = write_claim_bundle(document, tmp_path / "claim.json")
    written = json.loads(path.read_text(encoding="utf-8"))
    made = claim_bundle(document)
    assert {**written, "timestamp": None} == {**made, "timestamp": None}
    assert [p.name for p in tmp_path.iterdir()] == ["claim.json"]


def test_a_changed_patient_changes_the_bundle() -> None:
    document = claim_document()
    renamed = replace(document, patient=replace(document.patient, last_name=None))
    assert "family" not in only(claim_bundle(renamed), "Patient")["name"][0]
