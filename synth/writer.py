"""Incremental writers: CSV files and Parquet files appended chunk by chunk."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq


class CsvSink:
    """A CSV file written in chunks; the header comes with the first chunk."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._fh: IO[bytes] = path.open("wb")
        self._header = True

    def write(self, df: pl.DataFrame) -> None:
        """Append rows (an empty frame still writes the header once)."""
        if df.height == 0 and not self._header:
            return
        df.write_csv(self._fh, include_header=self._header, line_terminator="\n")
        self._header = False
        self.rows += df.height

    def close(self) -> None:
        """Flush and close."""
        self._fh.close()


class ParquetSink:
    """A Parquet file written one row group per chunk (zstd)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, df: pl.DataFrame) -> None:
        """Append one row group."""
        table: pa.Table = df.to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table.cast(self._writer.schema))
        self.rows += df.height

    def close(self) -> None:
        """Write the footer."""
        if self._writer is not None:
            self._writer.close()


class Sinks:
    """All open sinks of a run, closed together."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._csv: dict[str, CsvSink] = {}
        self._parquet: dict[str, ParquetSink] = {}

    def csv(self, relative: str) -> CsvSink:
        """The CSV sink for a path under the root (opened on first use)."""
        if relative not in self._csv:
            self._csv[relative] = CsvSink(self.root / relative)
        return self._csv[relative]

    def parquet(self, relative: str) -> ParquetSink:
        """The Parquet sink for a path under the root (opened on first use)."""
        if relative not in self._parquet:
            self._parquet[relative] = ParquetSink(self.root / relative)
        return self._parquet[relative]

    def rows(self) -> dict[str, int]:
        """Rows written per file, by relative path."""
        rows = {k: s.rows for k, s in self._csv.items()}
        rows.update({k: s.rows for k, s in self._parquet.items()})
        return dict(sorted(rows.items()))

    def __enter__(self) -> Sinks:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for csv_sink in self._csv.values():
            csv_sink.close()
        for parquet_sink in self._parquet.values():
            parquet_sink.close()
