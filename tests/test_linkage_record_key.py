"""Scoring on integers: tokens as 64-bit keys, pairs joined on an integer record key.

Both are speed-ups of a full run (benchmarks/RESULTS.md, issue 15) that must leave the answer as
it was: the same candidate pairs, each with the same left and right record and the same weight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from linkage.link import RECORD_KEY, load_records, record_keyed, with_record_keys
from linkage.model import load_settings, splink_api, train
from linkage.records import define_token_key, read_records
from linkage.run import quiet_splink
from tests.test_linkage_support import encoded_region, fast_settings

PAIR = ("partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r")


@pytest.mark.parametrize(
    ("token", "key"),
    [
        ("0" * 32, -(2**63)),
        ("f" * 32, 2**63 - 1),
        ("8" + "0" * 31, 0),
        ("8000000000000001" + "f" * 16, 1),
        # Only the first 64 bits count: two tokens that differ after them share a key.
        ("8000000000000001" + "0" * 16, 1),
        ("7fffffffffffffff" + "0" * 16, -1),
        (None, None),
    ],
)
def test_token_key_is_the_first_64_bits_as_a_signed_bigint(token: str | None, key: int) -> None:
    con = duckdb.connect()
    define_token_key(con)
    assert con.execute("SELECT token_key($t)", {"t": token}).fetchall() == [(key,)]


@pytest.mark.parametrize(
    ("ids", "ranks"),
    [
        # Within one partner: the pseudonyms' order.
        ([("p", "b"), ("p", "a"), ("p", "c")], [1, 0, 2]),
        # Splink's text key, not the (partner_id, record_pseudonym) tuple: "a-1-__-x" sorts
        # before "a-__-y" ('1' < '_'), though the tuple ("a", ...) comes first.
        ([("a", "y"), ("a-1", "x")], [1, 0]),
        ([("b", "0"), ("a", "9"), ("ab", "0")], [2, 0, 1]),
    ],
)
def test_record_keys_follow_splinks_text_key(ids: list[tuple[str, str]], ranks: list[int]) -> None:
    table = pa.table({"partner_id": [p for p, _ in ids], "record_pseudonym": [r for _, r in ids]})
    assert with_record_keys(table).column(RECORD_KEY).to_pylist() == ranks


@pytest.mark.parametrize(
    ("change", "unchanged"),
    [
        ({"link_type": "link_and_dedupe"}, False),
        ({"link_type": "link_only"}, True),
        ({"link_type": "link_and_dedupe", "additional_columns_to_retain": ["partner_id"]}, False),
    ],
)
def test_record_keyed_model(change: dict[str, Any], unchanged: bool) -> None:
    model: Any = {
        "comparisons": [],
        "unique_id_column_name": "record_pseudonym",
        "source_dataset_column_name": "partner_id",
        **change,
    }
    keyed = record_keyed(model)
    if unchanged:
        assert keyed == model
        return
    assert keyed["link_type"] == "dedupe_only"
    assert keyed["unique_id_column_name"] == RECORD_KEY
    assert keyed["additional_columns_to_retain"] == ["partner_id", "record_pseudonym"]
    assert model["link_type"] == "link_and_dedupe"  # a copy: the saved model stays as it was


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    root = tmp_path_factory.mktemp("record-key")
    return root, encoded_region(root, residents=500, key_seed=3)[0]


@pytest.fixture(scope="module")
def scored_both_ways(region: tuple[Path, pl.DataFrame]) -> tuple[pl.DataFrame, ...]:
    """Splink's predictions on one region's records: the saved model as it is (text pair keys)
    and :func:`record_keyed` (integer record keys), in one work database."""
    root, persons = region
    con = duckdb.connect(str(root / "hub.duckdb"))
    con.register("encoded", persons.to_arrow())
    records = read_records(con, "encoded")
    con.close()
    info = train(records, root / "models", fast_settings())
    model = load_settings(info)
    db_api = splink_api()
    load_records(db_api, records)
    from splink import Linker

    frames = []
    with quiet_splink():
        for settings in (model, record_keyed(model)):
            linker = Linker([db_api.register("records")], dict(settings), validate_settings=False)
            scored = linker.inference.predict(threshold_match_probability=0.01)
            frames.append(pl.from_arrow(scored.as_duckdbpyrelation().to_arrow_table()))
    return tuple(frames)


def test_integer_keys_score_the_same_pairs_the_same_way(
    scored_both_ways: tuple[pl.DataFrame, ...],
) -> None:
    text, keyed = (f.select(*PAIR, "match_weight").sort(PAIR) for f in scored_both_ways)
    assert text.height > 100  # a region with links to compare
    assert keyed.select(PAIR).equals(text.select(PAIR))  # same pairs, same left and right
    assert (keyed["match_weight"] - text["match_weight"]).abs().max() < 1e-9


def test_integer_keys_keep_every_column_the_hub_reads(
    scored_both_ways: tuple[pl.DataFrame, ...],
) -> None:
    text, keyed = scored_both_ways
    assert set(text.columns) <= set(keyed.columns)


def test_prepared_tokens_are_their_keys(tmp_path: Path, region: tuple[Path, pl.DataFrame]) -> None:
    token = "0123456789abcdef" + "f" * 16
    row = region[1].head(1).with_columns(tok_ssn=pl.lit(token))
    con = duckdb.connect(str(tmp_path / "hub.duckdb"))
    con.register("encoded", row.to_arrow())
    records = read_records(con, "encoded")
    assert records.schema.field("tok_ssn").type == pa.int64()
    assert records.column("tok_ssn").to_pylist() == [0x0123456789ABCDEF - 2**63]
