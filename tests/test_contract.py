"""The submission contract (``contract/``) holds both sides: the hub's tables, types and id
checks follow from it, and what the hub would refuse is refused at the partner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from contract.ids import PARTNER_ID_MAX, SUBMISSION_ID, new_submission_id
from contract.manifest import EVENTS_FILE, PERSONS_FILE
from contract.spec import EVENT_SCHEMA, PERSON_SCHEMA, duckdb_columns
from encoding.keys import SecretError
from partner.keygen import keygen
from partner.mapping import MappingError, load_mapping
from partner.package import PackageError, empty_events, write_package
from warehouse import staging
from warehouse.governance import is_valid_partner_id
from warehouse.ingest.package import EXPECTED_TYPES

ROOT = Path(__file__).resolve().parents[1]
# Columns of a staging table before the file's own: which submission, which partner.
CREATED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
STAGING_PREFIX = [("submission_id", "VARCHAR"), ("partner_id", "VARCHAR")]


@pytest.mark.parametrize(
    ("table", "schema"), [("persons", PERSON_SCHEMA), ("events", EVENT_SCHEMA)]
)
def test_staging_schema_sql_is_the_arrow_schema(table: str, schema: pa.Schema) -> None:
    """warehouse/staging/schema.sql, as production runs it, has the contract's columns and
    DuckDB types, in order: a column added to the contract and not to the DDL fails here."""
    with duckdb.connect() as con:
        staging.ensure_schema(con)
        described = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'staging' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    assert described == STAGING_PREFIX + duckdb_columns(schema)


@pytest.mark.parametrize(
    ("file", "schema"), [(PERSONS_FILE, PERSON_SCHEMA), (EVENTS_FILE, EVENT_SCHEMA)]
)
def test_parquet_of_the_schema_reads_back_as_its_duckdb_types(
    tmp_path: Path, file: str, schema: pa.Schema
) -> None:
    """The Arrow -> DuckDB type names the manifest records are the ones DuckDB reads back from
    the Parquet file, and the ones the hub's schema gate accepts."""
    path = tmp_path / file
    pq.write_table(schema.empty_table(), path)
    with duckdb.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    assert [(r[0], r[1]) for r in described] == duckdb_columns(schema)
    assert all(t in EXPECTED_TYPES[file][c] for c, t in duckdb_columns(schema))
    assert list(EXPECTED_TYPES[file]) == schema.names


def _mapping_for(tmp_path: Path, partner_id: str) -> Path:
    data = yaml.safe_load((ROOT / "partner" / "mappings" / "mercy_hospital.yaml").read_text())
    data["partner_id"] = partner_id
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


PARTNER_IDS = [
    ("two", "ab", True),
    ("forty", "p" * PARTNER_ID_MAX, True),
    ("forty-one", "p" * (PARTNER_ID_MAX + 1), False),
    ("fifty-two", "p" * 52, False),
    ("sixty-three", "p" * 63, False),
    ("one", "p", False),
    ("upper case", "Mercy_hospital", False),
    ("starts with a digit", "9lives", False),
]


@pytest.mark.parametrize(
    ("partner_id", "valid"), [(i, v) for _, i, v in PARTNER_IDS], ids=[n for n, _, _ in PARTNER_IDS]
)
def test_partner_refuses_what_the_hub_refuses(tmp_path: Path, partner_id: str, valid: bool) -> None:
    """One partner id pattern: the mapping, keygen and the packager refuse an id the hub's
    registry refuses (a 41-63 character id used to encode fine and bounce at the hub), each
    saying why without echoing the id."""
    assert is_valid_partner_id(partner_id) is valid
    assert bool(SUBMISSION_ID.match(new_submission_id(partner_id, CREATED))) is valid
    mapping = _mapping_for(tmp_path, partner_id)

    def package() -> Path:
        return write_package(
            tmp_path / "out",
            partner_id=partner_id,
            persons=PERSON_SCHEMA.empty_table(),
            events=empty_events(),
            key_fingerprint="0" * 16,
            created_at=CREATED,
        )

    if valid:
        assert load_mapping(mapping).partner_id == partner_id
        keygen(tmp_path / "keys", partner_id)
        package()
        return
    refusals: list[tuple[type[Exception], Callable[[], object]]] = [
        (MappingError, lambda: load_mapping(mapping)),
        (SecretError, lambda: keygen(tmp_path / "keys", partner_id)),
        (PackageError, package),
    ]
    for error, call in refusals:
        with pytest.raises(error) as caught:
            call()
        message = str(caught.value)
        assert f"2 to {PARTNER_ID_MAX} lower-case letters" in message
        assert f"({len(partner_id)} characters)" in message
        assert partner_id not in message or len(partner_id) <= 2
    assert not (tmp_path / "keys").exists()
    assert not (tmp_path / "out").exists()
