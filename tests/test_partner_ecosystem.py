"""Spec 2.2's ecosystem file: the size the steward announces with the shared secret, read by
`carehub partner encode` and recorded as token widths in the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from carehub.cli import app
from contract.spec import SPEC_VERSION
from partner.ecosystem import Ecosystem, EcosystemError, ecosystem_path, read_ecosystem
from partner.encode import EncodeError, encode_partner
from partner.keygen import keygen

Writer = Callable[[Path], None]


def _json(body: object) -> Writer:
    return lambda path: path.write_text(json.dumps(body))


@pytest.mark.parametrize(
    ("write", "error"),
    [
        (None, r"ecosystem file .*shared\.secret\.ecosystem\.json does not exist: spec 2\.2"),
        (lambda p: p.write_text("persons = 5"), "is not JSON"),
        (_json([250_000]), "is not a JSON object"),
        (_json({"spec_version": "2.1", "ecosystem_persons": 9}), "is for spec '2.1'"),
        (_json({"spec_version": SPEC_VERSION}), "ecosystem_persons must be a whole number"),
        (_json({"spec_version": SPEC_VERSION, "ecosystem_persons": "9446"}), "whole number"),
        (_json({"spec_version": SPEC_VERSION, "ecosystem_persons": True}), "whole number"),
        (_json({"spec_version": SPEC_VERSION, "ecosystem_persons": 1}), "ecosystem size is 1"),
    ],
)
def test_bad_ecosystem_file_is_refused(tmp_path: Path, write: Writer | None, error: str) -> None:
    path = ecosystem_path(tmp_path / "shared.secret")
    if write is not None:
        write(path)
    with pytest.raises(EcosystemError, match=error):
        read_ecosystem(path)


@pytest.mark.parametrize(
    ("persons", "bits"), [(1_434, 10), (9_446, 13), (250_000, 17), (1_000_000, 19)]
)
def test_ecosystem_file_gives_the_widths(tmp_path: Path, persons: int, bits: int) -> None:
    made = keygen(
        tmp_path, "mercy_hospital", shared_secret=tmp_path / "s", ecosystem_persons=persons
    )
    assert made.ecosystem_file == tmp_path / "s.ecosystem.json"
    assert read_ecosystem(tmp_path / "s.ecosystem.json") == Ecosystem(persons)
    assert Ecosystem(persons).token_bits == {"tok_phone": bits}


def test_keygen_refuses_a_second_size_and_writes_nothing(tmp_path: Path) -> None:
    keygen(tmp_path / "a", "mercy_hospital", shared_secret=tmp_path / "s", ecosystem_persons=9_446)
    # The same size again, or none: the announced one stays.
    again = keygen(tmp_path / "b", "harbor_housing", shared_secret=tmp_path / "s")
    assert again.ecosystem == Ecosystem(9_446)
    with pytest.raises(EcosystemError, match="already announces 9,446 persons"):
        keygen(
            tmp_path / "c", "northside_food", shared_secret=tmp_path / "s", ecosystem_persons=20_000
        )
    assert not (tmp_path / "c").exists(), "a refused keygen writes no key"
    assert read_ecosystem(tmp_path / "s.ecosystem.json") == Ecosystem(9_446)


def test_cli_keygen_needs_the_size_with_a_new_secret(tmp_path: Path) -> None:
    args = ["partner", "keygen", "--partner", "mercy_hospital", "--out", str(tmp_path)]
    refused = CliRunner().invoke(app, [*args, "--shared-secret", str(tmp_path / "s")])
    assert refused.exit_code == 1
    assert "--ecosystem-persons" in refused.output and "Nothing was written" in refused.output
    assert not (tmp_path / "s").exists()


RAW = {
    "record_id": ["r1", "r2", "r3"],
    "first_name": ["Ann", "Bo", "Cy"],
    "last_name": ["Lee", "Ng", "Ox"],
    "dob": ["1980-01-02", "1975-05-06", "1990-07-08"],
    "sex": ["F", "M", "F"],
    "phone": ["603-555-0101", "603-555-0102", None],
}
MAPPING = """partner_id: mercy_hospital
persons:
  file: persons.csv
  record_id: record_id
  first_name: first_name
  last_name: last_name
  dob: {column: dob, format: "%Y-%m-%d"}
  sex: {column: sex, values: {F: F, M: M}}
  phone: phone
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    pl.DataFrame(RAW).write_csv(tmp_path / "in" / "persons.csv")
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    return tmp_path


def _encode(root: Path, **kw: object) -> dict[str, object]:
    result = encode_partner(
        "mercy_hospital",
        root / "keys" / "shared.secret",
        root / "mapping.yaml",
        root / "in",
        root / "out",
        as_of=date(2026, 6, 30),
        **kw,  # type: ignore[arg-type]
    )
    manifest: dict[str, object] = json.loads((result.package / "manifest.json").read_text())
    persons = pl.read_parquet(result.package / "persons.parquet")
    manifest["phones"] = persons["tok_phone"].to_list()
    return manifest


def test_encode_uses_the_announced_size(export: Path) -> None:
    keygen(
        export / "keys",
        "mercy_hospital",
        shared_secret=export / "keys" / "shared.secret",
        ecosystem_persons=1_434,
    )
    manifest = _encode(export)
    assert manifest["spec_version"] == SPEC_VERSION
    assert manifest["token_bits"] == {"tok_phone": 10}
    phones = manifest["phones"]
    assert isinstance(phones, list) and phones[2] is None
    assert all(len(t) == 8 and int(t, 16) < 2**10 for t in phones[:2])
    # --ecosystem FILE: another announcement (here 2**20 persons) wins over the default place.
    other = export / "elsewhere.json"
    other.write_text(json.dumps({"spec_version": SPEC_VERSION, "ecosystem_persons": 2**20}))
    assert _encode(export, ecosystem_file=other)["token_bits"] == {"tok_phone": 20}


def test_encode_without_the_announcement_is_refused(export: Path) -> None:
    keygen(export / "keys", "mercy_hospital", shared_secret=export / "keys" / "shared.secret")
    (export / "keys" / "shared.secret.ecosystem.json").unlink()
    with pytest.raises(EncodeError, match=r"does not exist: spec 2\.2 needs the ecosystem size"):
        _encode(export)
    assert not (export / "out").exists(), "nothing is written"


@pytest.mark.parametrize(
    ("ecosystem", "code", "expected"),
    [
        # --ecosystem FILE: the announcement handed out, wherever the partner keeps it.
        ({"spec_version": SPEC_VERSION, "ecosystem_persons": 9_446}, 0, {"tok_phone": 13}),
        (None, 1, "ecosystem file"),  # a missing one: refused, nothing written
    ],
)
def test_cli_encode_ecosystem_option(
    export: Path, ecosystem: dict[str, object] | None, code: int, expected: object
) -> None:
    keygen(export / "keys", "mercy_hospital", shared_secret=export / "keys" / "shared.secret")
    given = export / "announced.json"
    if ecosystem is not None:
        given.write_text(json.dumps(ecosystem))
    args = ["partner", "encode", "--partner", "mercy_hospital"]
    args += ["--secret", str(export / "keys" / "shared.secret"), "--ecosystem", str(given)]
    args += ["--mapping", str(export / "mapping.yaml"), "--input", str(export / "in")]
    args += ["--out", str(export / "out"), "--as-of", "2026-06-30"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    if code == 0:
        (manifest,) = (export / "out").glob("*/manifest.json")
        assert json.loads(manifest.read_text())["token_bits"] == expected
    else:
        assert str(expected) in result.output and "nothing was written" in result.output
        assert not (export / "out").exists()
