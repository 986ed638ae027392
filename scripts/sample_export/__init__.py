"""Deterministic sample of a Metronome data export, with planted edge cases.

Writes `<root>/<table>/dt=<YYYY-MM-DD>/<part>_<YYYYMMDDHHMMSS>.parquet` for the customer,
invoice, line_item, product and credit_type tables, plus optional manifests of the outcome
the dbt project must reach for each invoice. `expected_counts` and `override_seed_rows` are
the contract with the project; see `sample_export.scenarios`.

`--delta N` appends the N-th delta to an existing export (new files only, later transfers):
new invoices, corrections, voids, re-deliveries, a late stale line and a customer update,
about 1% of the base invoices; see `sample_export.deltas`. `expected_counts(..., deltas=N)`
and `--expected-out` give the outcomes after deltas 1..N.

Scale: rows are generated and written in bounded batches, so memory does not grow with the
export. Measured on the project's 2-core machine while shared with other jobs (pyarrow 26,
CPython 3.11), one process:

    --customers 10000  --months 10 --lines-per-invoice 10:  1.1M line items   49 s  147 MiB
    --customers 100000 --months 10 --lines-per-invoice 10: 11.1M line items  7m40  172 MiB
    --delta 1 on the latter: 12,000 invoice and 66,000 line rows in 5 s; --expected-out
    (one row per each of the million invoices) adds about 40 s.

`--jobs 2` writes billing months in two processes (identical files; about 130 MiB each):
41 s instead of 49 s at 1.1M line items on that busy machine, up to twice as fast when both
cores are free.
"""

from sample_export.scenarios import expected_counts, override_seed_rows

__all__ = ["expected_counts", "override_seed_rows"]
