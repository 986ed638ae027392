"""Parquet files in the export's object-storage layout, written in bounded batches.

Memory stays flat whatever the export's size: each open file buffers at most `flush_rows`
rows before writing them as a row group, and a file rolls over to the next part once it
holds `max_rows_per_file` rows. Files are created exclusively: the export is an append-only
log, so writing over an existing file is a bug, not a rerun.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from sample_export.records import TABLE_NAMES, Row, arrow_schema, column_names
from sample_export.schedule import Delivery

DEFAULT_FLUSH_ROWS = 20_000
DEFAULT_MAX_ROWS_PER_FILE = 1_000_000
_TRANSFER_STAMP = re.compile(r"_(\d{14})\.parquet$")


def table_directory(root: Path, table: str, delivery: Delivery) -> Path:
    return root / table / f"dt={delivery.dt:%Y-%m-%d}"


def delivery_files(root: Path, table: str, delivery: Delivery) -> list[Path]:
    """The parts one transfer wrote for `table`, in part order."""
    directory = table_directory(root, table, delivery)
    return sorted(directory.glob(f"*_{delivery.transfer_at:%Y%m%d%H%M%S}.parquet"))


def transfer_time(path: Path) -> datetime | None:
    """The transfer time in an export file's name (`<part>_<YYYYMMDDHHMMSS>.parquet`), UTC."""
    match = _TRANSFER_STAMP.search(path.name)
    if match is None:
        return None
    return datetime.strptime(match[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def latest_transfer(root: Path) -> datetime | None:
    """The newest transfer timestamp of any file under the five table folders."""
    times = [
        transferred_at
        for table in TABLE_NAMES
        for path in (root / table).glob("dt=*/*.parquet")
        if (transferred_at := transfer_time(path)) is not None
    ]
    return max(times, default=None)


def reset_tables(root: Path) -> None:
    """Remove the five table folders (and nothing else) so a rerun replaces the export."""
    for table in TABLE_NAMES:
        shutil.rmtree(root / table, ignore_errors=True)


class ParquetSink:
    """The files of one table in one transfer: part-00000, part-00001, ..."""

    def __init__(
        self,
        root: Path,
        row_type: type[Row],
        delivery: Delivery,
        *,
        flush_rows: int,
        max_rows_per_file: int,
    ) -> None:
        self._directory = table_directory(root, row_type.TABLE, delivery)
        self._delivery = delivery
        self._schema = arrow_schema(row_type)
        self._values_of = attrgetter(*column_names(row_type))
        self._flush_rows = flush_rows
        self._max_rows_per_file = max_rows_per_file
        self._buffer: list[tuple[object, ...]] = []
        self._file: BinaryIO | None = None
        self._writer: pq.ParquetWriter | None = None
        self._part = -1
        self._rows_in_part = 0
        self.rows_written = 0

    def add(self, row: Row) -> None:
        self._buffer.append(self._values_of(row))
        if len(self._buffer) >= self._flush_rows:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._close_part()

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None or self._rows_in_part >= self._max_rows_per_file:
            self._open_next_part()
        assert self._writer is not None
        columns = zip(*self._buffer, strict=True)
        arrays = [
            pa.array(values, type=field.type)
            for values, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self._schema))
        self._rows_in_part += len(self._buffer)
        self.rows_written += len(self._buffer)
        self._buffer = []

    def _open_next_part(self) -> None:
        self._close_part()
        self._part += 1
        self._rows_in_part = 0
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / self._delivery.file_name(self._part)
        self._file = path.open("xb")
        self._writer = pq.ParquetWriter(self._file, self._schema)


class ExportWriter:
    """Routes rows to one sink per (table, transfer); counts rows per table."""

    def __init__(
        self,
        root: Path,
        *,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
        max_rows_per_file: int = DEFAULT_MAX_ROWS_PER_FILE,
    ) -> None:
        self._root = root
        self._flush_rows = flush_rows
        self._max_rows_per_file = max_rows_per_file
        self._sinks: dict[tuple[str, Delivery], ParquetSink] = {}
        self.rows_per_table: Counter[str] = Counter()

    def write(self, delivery: Delivery, row: Row) -> None:
        key = (row.TABLE, delivery)
        sink = self._sinks.get(key)
        if sink is None:
            sink = ParquetSink(
                self._root,
                type(row),
                delivery,
                flush_rows=self._flush_rows,
                max_rows_per_file=self._max_rows_per_file,
            )
            self._sinks[key] = sink
        sink.add(row)

    def close(self) -> None:
        for (table, _), sink in self._sinks.items():
            sink.close()
            self.rows_per_table[table] += sink.rows_written
        self._sinks.clear()

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
