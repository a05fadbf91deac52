"""Each partner writes its own columns, id format, date format and codes, as documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from contract.vocabulary import EVENT_TYPES
from synth import PARTNERS, SynthConfig, generate
from synth.partners import county, harbor, mercy, northside, riverside

DOC = Path(__file__).resolve().parents[1] / "docs" / "synthetic-data.md"
AS_OF = SynthConfig().as_of

# partner -> person file header, record id pattern, (dob column, strptime format, pattern)
PERSON_FILES = {
    "mercy_hospital": (
        "MRN,PAT_LAST_NAME,PAT_FIRST_NAME,PAT_MIDDLE_NAME,BIRTH_DATE,SEX,SSN,ADDR_LINE_1,"
        "ADDR_LINE_2,CITY,STATE,ZIP,HOME_PHONE,HIE_OPT_OUT,REG_DATE",
        r"MRN\d{8}",
        ("BIRTH_DATE", "%m/%d/%Y", r"\d{2}/\d{2}/\d{4}"),
    ),
    "riverside_health": (
        "person_id,given_name,family_name,birth_date,gender,ssn,address_line,city,state,"
        "postal_code,phone,share_with_hie",
        r"RS-\d{7}",
        ("birth_date", "%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"),
    ),
    "county_public_health": (
        "CaseID,LastName,FirstName,MiddleInitial,DOB,Sex,SSN,StreetAddress,City,State,Zip,Phone,"
        "DataSharingOptOut",
        r"PH20(1[5-9]|2[0-6])-\d{6}",
        ("DOB", "%Y%m%d", r"\d{8}"),
    ),
    "harbor_housing": (
        "Client ID,First Name,Last Name,Date of Birth,Birth Year,Gender,SSN,Address,Unit,City,ZIP,"
        "Phone,Consent to share,Part 2 Consent,Enrollment Date",
        r"HH-[1-9]\d{3,6}",
        ("Date of Birth", "%d-%b-%Y", r"\d{2}-[A-Z][a-z]{2}-\d{4}"),
    ),
    "northside_food": (
        "member_id,fname,lname,birthdate,birth_year,sex,address,zip,phone,household_size,"
        "consent_share,enrolled_on",
        r"NF\d{7}",
        ("birthdate", "%m/%d/%Y", r"[1-9]\d?/[1-9]\d?/\d{4}"),
    ),
}
# partner -> {column: allowed values (None allowed = empty)}
CODES: dict[str, dict[str, set[str | None]]] = {
    "mercy_hospital": {
        "SEX": {"Female", "Male", "Unknown"},
        "HIE_OPT_OUT": {"Y", "N"},
        "STATE": {"NH", None},
    },
    "riverside_health": {"gender": {"F", "M", "U"}, "share_with_hie": {"true", "false"}},
    "county_public_health": {"Sex": {"1", "2", "9"}, "DataSharingOptOut": {"0", "1"}},
    "harbor_housing": {
        "Gender": {"Woman", "Man", "Client doesn't know"},
        "Consent to share": {"Yes", "No"},
        "Part 2 Consent": {"Yes", "No"},
    },
    "northside_food": {"sex": {"F", "M", None}, "consent_share": {"Y", "N"}},
}
PHONES = {
    "mercy_hospital": ("HOME_PHONE", r"\(\d{3}\) \d{3}-\d{4}"),
    "riverside_health": ("phone", r"\d{10}"),
    "county_public_health": ("Phone", r"\d{3}-\d{3}-\d{4}"),
    "harbor_housing": ("Phone", r"\d{3}\.\d{3}\.\d{4}"),
    "northside_food": ("phone", r"\(\d{3}\)\d{3}-\d{4}"),
}
SSNS = {
    "mercy_hospital": ("SSN", r"\d{3}-\d{2}-\d{4}"),
    "riverside_health": ("ssn", r"\d{9}"),
    "county_public_health": ("SSN", r"\d{9}"),
    "harbor_housing": ("SSN", r"(\d{3}|XXX)-(\d{2}|XX)-\d{4}"),
}
# (partner, file, column, code -> canonical) for every coded event column
EVENT_CODES = [
    ("mercy_hospital", "encounters.csv", "ENC_TYPE", mercy.ENC_TYPE),
    ("mercy_hospital", "encounters.csv", "DX_GROUP", mercy.DX_GROUP),
    ("mercy_hospital", "chronic_conditions.csv", "CONDITION_FLAG", mercy.CONDITION_FLAG),
    ("riverside_health", "visits.csv", "visit_class", riverside.VISIT_CLASS),
    ("riverside_health", "visits.csv", "principal_dx_category", riverside.DX_CATEGORY),
    (
        "riverside_health",
        "problem_list.csv",
        "icd10_code",
        {k: v[0] for k, v in riverside.ICD10.items()},
    ),
    ("county_public_health", "events.csv", "EventType", county.EVENT_TYPE),
    ("harbor_housing", "screenings.csv", "Domain", harbor.DOMAIN),
    ("harbor_housing", "services.csv", "Service Type", harbor.SERVICE_TYPE),
    ("northside_food", "screenings.csv", "question", northside.QUESTION),
    ("northside_food", "visits.csv", "service_code", northside.SERVICE_CODE),
]
# (partner, file, column, strptime format) for every event date column
EVENT_DATES = [
    ("mercy_hospital", "encounters.csv", "ADMIT_DT", "%m/%d/%Y %H:%M"),
    ("riverside_health", "visits.csv", "visit_start", "%Y-%m-%d"),
    ("county_public_health", "events.csv", "EventDate", "%Y%m%d"),
    ("harbor_housing", "services.csv", "Service Date", "%d-%b-%Y"),
    ("harbor_housing", "screenings.csv", "Screening Date", "%d-%b-%Y"),
    ("northside_food", "screenings.csv", "screen_date", "%m/%d/%Y"),
    ("northside_food", "visits.csv", "visit_date", "%m/%d/%Y"),
]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("formats")
    generate(out, residents=3_000, seed=21, progress=False)
    return out


def _read(region: Path, pid: str, name: str) -> pl.DataFrame:
    return pl.read_csv(region / "partners" / pid / name, infer_schema=False)


@pytest.mark.parametrize("pid", list(PERSON_FILES))
def test_person_file_header_ids_and_dates(region: Path, pid: str) -> None:
    header, id_pattern, (dob_col, dob_fmt, dob_pattern) = PERSON_FILES[pid]
    path = region / "partners" / pid / PARTNERS[pid].person_file
    assert path.read_text(encoding="utf-8").splitlines()[0] == header
    df = _read(region, pid, PARTNERS[pid].person_file)
    ids = df.get_column(df.columns[0])
    assert ids.str.contains(f"^{id_pattern}$").all(), pid
    dob = df.get_column(dob_col).drop_nulls()
    assert dob.str.contains(f"^{dob_pattern}$").all()
    parsed = dob.str.to_date(dob_fmt)
    assert parsed.max() <= AS_OF  # type: ignore[operator]
    assert (parsed == dt.date(1900, 1, 1)).sum() < 0.01 * len(parsed)


@pytest.mark.parametrize("pid", list(CODES))
def test_person_codes_are_the_partners_own(region: Path, pid: str) -> None:
    df = _read(region, pid, PARTNERS[pid].person_file)
    for column, allowed in CODES[pid].items():
        assert set(df[column].to_list()) <= allowed, (pid, column)
    phone_col, phone_pattern = PHONES[pid]
    assert df[phone_col].drop_nulls().str.contains(f"^{phone_pattern}$").all()
    if pid in SSNS:
        ssn_col, ssn_pattern = SSNS[pid]
        assert df[ssn_col].drop_nulls().str.contains(f"^{ssn_pattern}$").all()
    else:
        assert not any("ssn" in c.lower() for c in df.columns)


def test_partners_differ_in_formats() -> None:
    headers = {h for h, _, _ in PERSON_FILES.values()}
    date_formats = {d[1] for _, _, d in PERSON_FILES.values()}
    assert len(headers) == 5 and len(date_formats) == 4
    sexes = [frozenset(c for c in next(iter(CODES[p].values())) if c) for p in CODES]
    assert len(set(sexes)) >= 4


@pytest.mark.parametrize(("pid", "name", "column", "codes"), EVENT_CODES)
def test_event_codes_map_onto_the_canonical_vocabulary(
    region: Path, pid: str, name: str, column: str, codes: dict[str, str]
) -> None:
    df = _read(region, pid, name)
    assert set(df[column].drop_nulls()) <= set(codes.values())
    assert df[column].null_count() == 0
    categories = {c for cats in EVENT_TYPES.values() if cats for c in cats} | set(EVENT_TYPES)
    assert set(codes) <= categories


@pytest.mark.parametrize(("pid", "name", "column", "fmt"), EVENT_DATES)
def test_event_dates_fall_in_the_window(
    region: Path, pid: str, name: str, column: str, fmt: str
) -> None:
    dates = _read(region, pid, name)[column]
    parsed = dates.str.to_datetime(fmt).dt.date()
    assert parsed.min() >= AS_OF - dt.timedelta(days=730)  # type: ignore[operator]
    assert parsed.max() <= AS_OF  # type: ignore[operator]


def test_inpatient_stays_have_discharge_after_admission(region: Path) -> None:
    enc = _read(region, "mercy_hospital", "encounters.csv").with_columns(
        pl.col("ADMIT_DT").str.to_datetime("%m/%d/%Y %H:%M"),
        pl.col("DISCH_DT").str.to_datetime("%m/%d/%Y %H:%M"),
    )
    assert (enc["DISCH_DT"] > enc["ADMIT_DT"]).all()
    ip = enc.filter(pl.col("ENC_TYPE") == "IP")
    assert ip.height > 0 and ((ip["DISCH_DT"] - ip["ADMIT_DT"]).dt.total_days() >= 1).all()


@pytest.mark.parametrize(
    ("pid", "column", "styles"),
    [
        ("mercy_hospital", "ADDR_LINE_2", {"APT", "UNIT", "#"}),
        ("riverside_health", "address_line", {"Apt", "Apt.", "Unit", "#"}),
        ("harbor_housing", "Unit", {"Apt", "Unit", "#"}),
    ],
)
def test_apartments_come_in_several_styles(
    region: Path, pid: str, column: str, styles: set[str]
) -> None:
    values = _read(region, pid, PARTNERS[pid].person_file)[column].drop_nulls()
    found = set(values.str.extract(r"(Apt\.|APT|Apt|UNIT|Unit|#)(?:\s?\w+)$", 1).drop_nulls())
    assert found == styles


def test_part2_services_and_consent_exist(region: Path) -> None:
    services = _read(region, "harbor_housing", "services.csv")
    assert (services["Service Type"] == "Substance Use Treatment").any()
    clients = _read(region, "harbor_housing", "clients.csv")
    assert set(clients["Part 2 Consent"]) == {"Yes", "No"}


def test_screenings_have_five_domains_each(region: Path) -> None:
    for pid, name, key, client in (
        ("harbor_housing", "screenings.csv", "Screening ID", "Client ID"),
        ("northside_food", "screenings.csv", "screen_id", "member_id"),
    ):
        per = _read(region, pid, name).group_by(key).agg(pl.len(), pl.col(client).n_unique())
        assert (per["len"] == 5).all(), pid
        assert (per[client] == 1).all(), f"{pid}: one screening, one client"


def test_every_column_and_code_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for pid, (header, _, _) in PERSON_FILES.items():
        assert f"`{pid}`" in doc
        assert f"`{PARTNERS[pid].person_file}`" in doc
        for column in header.split(","):
            assert f"`{column}`" in doc, (pid, column)
    for pid, spec in PARTNERS.items():
        for name in spec.event_files:
            assert f"`{name}`" in doc, (pid, name)
    for _, _, _, codes in EVENT_CODES:
        for raw in codes.values():
            assert f"`{raw}`" in doc, raw
    for table in (county.REPORTABLE, county.VACCINE, county.DEATH_CAUSE):
        for raw in table.values():
            assert f"`{raw}`" in doc, raw
