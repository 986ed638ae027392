"""The reconciliation report: one self-contained HTML page that finance opens.

Everything is counted and summed in the warehouse (`reading`); amounts stay `Decimal`
from the warehouse to the page and are shown as exact decimal text (`cells`); only the
charts get floats (`charts`); `page` renders it all into `template.html`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from netsuite_sync.report.cells import exact_value, format_amount
from netsuite_sync.report.data import GROUPS, ReportSummary
from netsuite_sync.report.page import render_report
from netsuite_sync.report.reading import (
    DEFAULT_LIST_LIMIT,
    DEFAULT_TOP_DIFFERENCES,
    mart_relations,
    read_report_data,
)
from netsuite_sync.warehouse import Warehouse

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_TOP_DIFFERENCES",
    "ReportSummary",
    "describe_summary",
    "exact_value",
    "format_amount",
    "write_report",
]


def write_report(
    warehouse: Warehouse,
    path: Path,
    *,
    marts_schema: str,
    source: str,
    generated_at: datetime | None = None,
    list_limit: int = DEFAULT_LIST_LIMIT,
    top_differences: int = DEFAULT_TOP_DIFFERENCES,
) -> ReportSummary:
    """Read the reconciliation marts and write the report to `path` (one HTML file).

    `source` names the warehouse for the reader (e.g. `WarehouseTarget.describe()`);
    it must never hold credentials.
    """
    relations = mart_relations(warehouse, marts_schema)
    data = read_report_data(
        warehouse, relations, list_limit=list_limit, top_differences=top_differences
    )
    page = render_report(
        data,
        source=f"{source}, schema {marts_schema}",
        generated_at=generated_at or datetime.now(UTC),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never leave a half-written report where the last good one was.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return ReportSummary(
        path=path.resolve(),
        invoices={group: data.count(group) for group in GROUPS},
        list_totals={a.key: a.total for a in data.lists},
        list_shown={a.key: len(a.rows) for a in data.lists},
        size_bytes=path.stat().st_size,
    )


def describe_summary(summary: ReportSummary) -> Iterator[str]:
    """The lines `netsuite-sync report` prints: what the page holds and where it is."""
    groups = ", ".join(f"{count} {group}" for group, count in summary.invoices.items())
    yield f"netsuite-sync report: {sum(summary.invoices.values())} invoices ({groups})"
    yield f"report written to {summary.path} (open it in a browser; it needs no network)"
