"""The lab: the catalogue's ranges and flags per age and sex band, reading
what a technician types, entering results (the visit goes back to the
clinician after its last test), the worklist, and the critical-result notice
in the queue."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.enums import LabStatus, Role, Sex, VisitStatus
from clinic.errors import InvalidValue, NotAllowed, ValidationFailed
from clinic.lab.catalogue import ResultKind, definition_of, lab_catalogue, parse_test
from clinic.lab.models import LabResult, LabTestOverride
from clinic.lab.queries import lab_worklist, result_sheet, visit_lab_results
from clinic.lab.rules import check_result_row
from clinic.lab.service import record_lab_results, set_lab_test
from clinic.org.models import Branch
from clinic.patients.models import Patient
from clinic.rules.vitals import Flag
from clinic.store import LocalStore
from clinic.visits.models import LabRequest, Visit
from clinic.visits.queries import todays_queue
from tests import lab_data
from tests.conftest import TODAY, make_actor
from tests.lab_data import CLINICIAN, TECHNICIAN, add_user, requests_of, visit_status

CATALOGUE = lab_catalogue()
HB = CATALOGUE.find("Haemoglobin (Hb)").field("hb")
WBC = CATALOGUE.find("Full haemogram").field("wbc")


# --- the catalogue -------------------------------------------------------


def test_the_catalogue_has_the_common_outpatient_tests_by_their_price_list_names() -> None:
    for name in (
        "Malaria RDT",
        "Malaria blood slide",
        "Haemoglobin (Hb)",
        "Full haemogram",
        "Random blood sugar (RBS)",
        "Urinalysis",
        "HIV test",
        "Pregnancy test",
        "Stool microscopy",
        "Widal test",
        "H. pylori antigen test",
    ):
        assert CATALOGUE.find(name).code.startswith("LAB-"), name
    assert CATALOGUE.find("  fbc ").name == "Full haemogram"
    assert CATALOGUE.find("malaria microscopy").name == "Malaria blood slide"


@pytest.mark.parametrize(
    ("age", "sex", "normal", "value", "flag"),
    [
        (2.0, Sex.MALE, "11\N{EN DASH}14", 10.5, Flag.LOW),
        (8.0, Sex.FEMALE, "11.5\N{EN DASH}15.5", 11.8, Flag.NORMAL),
        (30.0, Sex.FEMALE, "12\N{EN DASH}15.5", 12.8, Flag.NORMAL),
        (30.0, Sex.MALE, "13.5\N{EN DASH}17.5", 12.8, Flag.LOW),
        (30.0, Sex.UNKNOWN, "12\N{EN DASH}17.5", 17.9, Flag.HIGH),
        (None, None, "12\N{EN DASH}17.5", 6.9, Flag.CRITICAL_LOW),
        (45.0, Sex.MALE, "13.5\N{EN DASH}17.5", 20.5, Flag.CRITICAL_HIGH),
    ],
)
def test_haemoglobin_is_flagged_against_the_band_for_age_and_sex(
    age: float | None, sex: Sex | None, normal: str, value: float, flag: Flag
) -> None:
    read = HB.read(str(value))
    assert read is not None
    assert HB.range_text(age, sex) == normal
    assert HB.flag(read, age, sex) is flag


@pytest.mark.parametrize(
    ("age", "value", "flag"),
    [(0.5, 16.0, Flag.NORMAL), (3.0, 16.0, Flag.HIGH), (40.0, 12.0, Flag.HIGH)],
)
def test_white_cells_have_child_bands(age: float, value: float, flag: Flag) -> None:
    read = WBC.read(value)
    assert read is not None and WBC.flag(read, age, Sex.FEMALE) is flag


def test_coded_results_take_only_their_values_in_any_case() -> None:
    rdt = CATALOGUE.find("Malaria RDT").field("result")
    assert rdt.kind is ResultKind.CODED
    read = rdt.read(" positive ")
    assert read is not None and read.code == "POSITIVE" and rdt.is_abnormal(read)
    assert rdt.flag(read, 30, Sex.MALE) is None
    with pytest.raises(InvalidValue, match="choose one of NEGATIVE, POSITIVE, INVALID"):
        rdt.read("maybe")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e308", "impossible"),
        ("-4", "impossible"),
        ("nan", "write a number"),
        ("inf", "write a number"),
        ("six", "write a number"),
        ("12\x00", "invisible characters"),
        (True, "write a number"),
    ],
)
def test_impossible_numbers_and_nul_bytes_are_refused(raw: object, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        HB.read(raw)


def test_a_test_the_catalogue_does_not_know_takes_free_text() -> None:
    test = CATALOGUE.find("Serum ferritin")
    assert test.name == "Serum ferritin"
    assert [(f.code, f.kind) for f in test.fields] == [("result", ResultKind.TEXT)]
    with pytest.raises(InvalidValue, match="under 2000 characters"):
        test.field("result").read("x" * 2001)


# --- entering results ----------------------------------------------------


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    actors = {role: make_actor(store, branch, role) for role in Role}
    add_user(store, actors[Role.CLINICAL_OFFICER], CLINICIAN)
    add_user(store, actors[Role.LAB_TECHNICIAN], TECHNICIAN)
    return actors


def waiting_for_lab(
    store: LocalStore,
    actors: dict[Role, Actor],
    tests: list[str],
    *,
    born: date | None = date(1990, 5, 17),
    sex: Sex = Sex.FEMALE,
) -> Visit:
    return lab_data.waiting_for_lab(store, actors, tests, day=TODAY, born=born, sex=sex)


def enter(store: LocalStore, actor: Actor, request_id: uuid.UUID, **values: object) -> LabRequest:
    with store.write() as session:
        return record_lab_results(request_id, values, session=session, actor=actor)


def test_results_are_flagged_for_the_patient_and_the_visit_returns_after_the_last_test(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Full haemogram", "Malaria RDT"])
    requests = requests_of(store, visit)
    lab = actors[Role.LAB_TECHNICIAN]
    done = enter(
        store,
        lab,
        requests["Full haemogram"],
        wbc="7.2",
        hb="6.4",
        hct="21",
        mcv="78",
        platelets="140",
    )
    assert done.status == LabStatus.RESULTED and done.resulted_by == lab.user_id
    assert "Haemoglobin 6.4 g/dL (CRITICAL_LOW)" in (done.result or "")
    assert visit_status(store, visit.id) == VisitStatus.WAITING_LAB
    enter(store, lab, requests["Malaria RDT"], result="Positive")
    assert visit_status(store, visit.id) == VisitStatus.IN_CONSULTATION

    with store.session() as session:
        rows = {
            r.analyte: r
            for r in session.scalars(
                select(LabResult).where(LabResult.lab_request_id == requests["Full haemogram"])
            )
        }
    assert (
        rows["hb"].flag == Flag.CRITICAL_LOW and rows["hb"].reference_range == "12\N{EN DASH}15.5"
    )
    assert (
        rows["platelets"].flag == Flag.LOW
        and rows["platelets"].unit == "\N{MULTIPLICATION SIGN}10⁹/L"
    )
    assert rows["wbc"].flag == Flag.NORMAL and rows["hb"].entered_by == lab.user_id


def test_bad_or_missing_results_are_all_named_and_nothing_is_written(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Urinalysis"])
    request_id = requests_of(store, visit)["Urinalysis"]
    with pytest.raises(ValidationFailed) as failed:
        enter(
            store,
            actors[Role.LAB_TECHNICIAN],
            request_id,
            appearance="CLEAR",
            ph="99",
            protein="lots",
            diagnosis="B54",
        )
    fields = {e.field for e in failed.value.errors}
    assert {"ph", "protein", "diagnosis", "glucose", "nitrite"} <= fields
    assert "microscopy" not in fields
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(LabResult)) == 0
        request = session.get(LabRequest, request_id)
        assert request is not None and request.status == LabStatus.REQUESTED


def test_entering_results_again_replaces_them(store: LocalStore, actors: dict[Role, Actor]) -> None:
    visit = waiting_for_lab(store, actors, ["Hb"])
    request_id = requests_of(store, visit)["Hb"]
    lab = actors[Role.LAB_TECHNICIAN]
    enter(store, lab, request_id, hb="6.1")
    enter(store, lab, request_id, hb="12.6")
    with store.session() as session:
        sheet = result_sheet(session, request_id)
        live = session.scalars(
            select(LabResult.value_number).where(LabResult.deleted_at.is_(None))
        ).all()
    assert live == [12.6]
    assert sheet.entered == {"hb": "12.6"}
    assert [(r.shown, r.flag, r.entered_by) for r in sheet.results] == [
        ("12.6 g/dL", Flag.NORMAL, TECHNICIAN)
    ]


def test_a_closed_visit_takes_no_results(store: LocalStore, actors: dict[Role, Actor]) -> None:
    visit = waiting_for_lab(store, actors, ["Malaria RDT"])
    with store.write() as session:
        found = session.get(Visit, visit.id)
        assert found is not None
        found.status = VisitStatus.COMPLETED
    with pytest.raises(NotAllowed, match="COMPLETED"):
        enter(
            store,
            actors[Role.LAB_TECHNICIAN],
            requests_of(store, visit)["Malaria RDT"],
            result="NEGATIVE",
        )


def test_the_worklist_is_todays_requests_oldest_first_with_the_clinician(
    store: LocalStore, actors: dict[Role, Actor], branch: Branch
) -> None:
    first = waiting_for_lab(store, actors, ["Malaria RDT", "Hb"])
    second = waiting_for_lab(store, actors, ["Urinalysis"], born=None, sex=Sex.MALE)
    with store.session() as session:
        items = lab_worklist(session, branch.id, TODAY)
        elsewhere = lab_worklist(session, uuid.uuid4(), TODAY)
        tomorrow = lab_worklist(session, branch.id, date(2026, 11, 27))
    assert [(i.visit_id, i.test_name) for i in items] == [
        (first.id, "Malaria RDT"),
        (first.id, "Hb"),
        (second.id, "Urinalysis"),
    ]
    assert {i.clinician for i in items} == {CLINICIAN}
    assert elsewhere == [] and tomorrow == []
    enter(store, actors[Role.LAB_TECHNICIAN], items[0].request_id, result="NEGATIVE")
    with store.session() as session:
        assert [i.test_name for i in lab_worklist(session, branch.id, TODAY)] == [
            "Hb",
            "Urinalysis",
        ]
        done = lab_worklist(session, branch.id, TODAY, include_done=True)
    assert [i.status for i in done] == [
        LabStatus.RESULTED,
        LabStatus.REQUESTED,
        LabStatus.REQUESTED,
    ]


def test_a_critical_result_marks_the_visit_in_the_queue_and_beside_the_request(
    store: LocalStore, actors: dict[Role, Actor], branch: Branch
) -> None:
    visit = waiting_for_lab(store, actors, ["Random blood sugar (RBS)", "Malaria RDT"])
    calm = waiting_for_lab(store, actors, ["Hb"])
    requests = requests_of(store, visit)
    lab = actors[Role.LAB_TECHNICIAN]
    enter(store, lab, requests["Random blood sugar (RBS)"], glucose="2.1")
    enter(store, lab, requests_of(store, calm)["Hb"], hb="13")
    with store.session() as session:
        marks = {e.visit_id: e.critical_results for e in todays_queue(session, branch.id, TODAY)}
        beside = visit_lab_results(session, visit.id)
    assert marks == {visit.id: True, calm.id: False}
    rbs, rdt = beside
    assert rbs.critical and rbs.results[0].shown == "2.1 mmol/L"
    assert rbs.results[0].flag is Flag.CRITICAL_LOW and rbs.results[0].abnormal
    assert rdt.status == LabStatus.REQUESTED and rdt.results == [] and not rdt.critical


def test_the_server_recomputes_a_sent_result_and_refuses_a_forged_flag(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Hb"], sex=Sex.MALE)
    request_id = requests_of(store, visit)["Hb"]
    sent = {
        "lab_request_id": request_id,
        "analyte": "hb",
        "value_number": 6.0,
        "value_code": None,
        "value_text": None,
        "unit": "g/dL",
        "reference_range": "13.5\N{EN DASH}17.5",
        "flag": "CRITICAL_LOW",
    }
    with store.session() as session:
        check_result_row(session, sent)
        for forged, reason in (
            ({"flag": "NORMAL"}, "flag should be 'CRITICAL_LOW'"),
            ({"analyte": "diagnosis"}, "has no result 'diagnosis'"),
            ({"value_number": 1e9}, "impossible"),
            ({"value_code": "POSITIVE"}, "exactly one value"),
            ({"lab_request_id": uuid.uuid4()}, "no such lab request"),
        ):
            with pytest.raises(InvalidValue, match=reason):
                check_result_row(session, sent | forged)


def test_patients_sex_is_what_chooses_the_band(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Hb"], sex=Sex.MALE)
    with store.session() as session:
        patient = session.get(Patient, visit.patient_id)
        assert patient is not None and patient.sex == Sex.MALE
        sheet = result_sheet(session, requests_of(store, visit)["Hb"])
    assert sheet.test.field("hb").range_text(sheet.age_years, sheet.sex) == "13.5\N{EN DASH}17.5"


# --- the clinic's own catalogue ------------------------------------------------


def test_every_shipped_test_reads_back_as_it_is_written() -> None:
    for test in CATALOGUE.tests:
        assert parse_test(definition_of(test)) == test


def test_an_admins_version_of_a_test_sets_the_ranges_new_results_are_flagged_against(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Hb", "Serum ferritin"], sex=Sex.MALE)
    requests = requests_of(store, visit)
    definition = definition_of(CATALOGUE.find("Hb"))
    definition["fields"][0]["bands"] = [
        {"sex": None, "below_age_years": None, "normal_low": 13.0, "normal_high": 18.0,
         "critical_low": 8.0, "critical_high": 21.0}
    ]  # fmt: skip
    ferritin = {
        "code": "LAB-FER",
        "name": "Serum ferritin",
        "fields": [
            {"code": "ferritin", "label": "Ferritin", "kind": "numeric", "unit": "ng/mL",
             "plausible_min": 1, "plausible_max": 5000,
             "bands": [{"sex": None, "normal_low": 30, "normal_high": 400}]}
        ],
    }  # fmt: skip
    admin = actors[Role.ADMIN]
    with store.write() as session:
        set_lab_test(definition, session=session, actor=admin)
        set_lab_test(ferritin, session=session, actor=admin)
    lab = actors[Role.LAB_TECHNICIAN]
    enter(store, lab, requests["Hb"], hb="7.5")
    enter(store, lab, requests["Serum ferritin"], ferritin="12")
    with store.session() as session:
        hb = result_sheet(session, requests["Hb"]).results[0]
        fer = result_sheet(session, requests["Serum ferritin"]).results[0]
        overrides = session.scalar(select(func.count()).select_from(LabTestOverride))
    assert (hb.flag, hb.reference_range) == (Flag.CRITICAL_LOW, "13\N{EN DASH}18")
    assert (fer.shown, fer.flag) == ("12 ng/mL", Flag.LOW)
    with store.write() as session:
        set_lab_test(definition, session=session, actor=admin)  # the same again: no change
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(LabTestOverride)) == overrides == 2


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"code": "lab hb"}, "test.code"),
        ({"fields": []}, "test.fields"),
        ({"name": "Hb\x00"}, "test.name"),
        ({"fields": [{"code": "hb", "label": "Hb", "kind": "graph"}]}, "test.fields[0].kind"),
        (
            {"fields": [{"code": "r", "label": "R", "kind": "coded", "values": ["A"],
                         "abnormal": ["B"]}]},
            "test.fields[0].abnormal",
        ),
        (
            {"fields": [{"code": "x", "label": "X", "kind": "numeric", "plausible_max": 10,
                         "bands": [{"normal_low": 5, "normal_high": 2}]}]},
            "test.fields[0].bands[0]",
        ),
        (
            {"fields": [{"code": "x", "label": "X", "kind": "numeric", "plausible_max": 10,
                         "bands": [{"normal_low": 1e308}]}]},
            "test.fields[0].bands[0].normal_low",
        ),
    ],
)  # fmt: skip
def test_a_bad_version_of_a_test_names_the_part_to_fix_and_writes_nothing(
    store: LocalStore, actors: dict[Role, Actor], change: dict[str, object], where: str
) -> None:
    definition = definition_of(CATALOGUE.find("Hb")) | change
    with pytest.raises(InvalidValue) as refused, store.write() as session:
        set_lab_test(definition, session=session, actor=actors[Role.ADMIN])
    assert refused.value.field == where
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(LabTestOverride)) == 0
