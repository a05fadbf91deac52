"""Splink's own validation of the settings the model is trained with.

Training skips Splink's settings validation (it costs ~0.8 s a run): the settings are built
from typed dataclasses, so validating them here, for the defaults and a steward's variants,
covers what it would catch (a column a comparison or blocking rule names that the prepared
records do not have).
"""

from __future__ import annotations

import logging

import duckdb
import pytest
from schema_support import add_persons, create_hub_schema
from splink import Linker

from linkage.comparisons import settings_creator
from linkage.model import register, splink_api
from linkage.records import read_records
from linkage.settings import (
    BlockingRule,
    LinkageSettings,
    LocationSettings,
    NameSettings,
    TrainingSettings,
)

VARIANTS = {
    "defaults": LinkageSettings(),
    "separate location and phone": LinkageSettings(location=LocationSettings(contact="separate")),
    "no term-frequency adjustment": LinkageSettings(
        names=NameSettings(tf_adjust_fullname=False),
    ),
    "extra blocking rule": LinkageSettings(
        blocking=(*LinkageSettings().blocking, BlockingRule(("tok_dob_zip5_sex", "zip3")))
    ),
    "other training blocks": LinkageSettings(
        training=TrainingSettings(em_blocks=(BlockingRule(("tok_first_addr",)),))
    ),
}


@pytest.fixture(scope="module")
def prepared_records():  # type: ignore[no-untyped-def]
    """Two prepared records with every column the model may read (values do not matter)."""
    con = duckdb.connect()
    create_hub_schema(con, ("staging",))
    add_persons(con, [{"partner_id": "p", "record_pseudonym": f"r{i}"} for i in range(2)])
    return read_records(con, "staging.current_persons")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_splink_validates_the_settings(
    name: str, prepared_records, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="splink"):
        Linker(
            [register(splink_api(), prepared_records, "records")],
            settings_creator(VARIANTS[name]),
            validate_settings=True,
        )
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], problems


def test_a_bad_column_is_reported(prepared_records, caplog: pytest.LogCaptureFixture) -> None:
    # The check above can fail: a rule over a column the records lack is reported.
    bad = LinkageSettings(blocking=(BlockingRule(("no_such_column",)),))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="splink"):
        Linker(
            [register(splink_api(), prepared_records, "records")],
            settings_creator(bad),
            validate_settings=True,
        )
    assert any("no_such_column" in r.getMessage() for r in caplog.records)
