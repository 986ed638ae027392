"""Deterministic sample of a Metronome data export, with planted edge cases.

Writes `<root>/<table>/dt=<YYYY-MM-DD>/<part>_<YYYYMMDDHHMMSS>.parquet` for the customer,
invoice, line_item, product and credit_type tables, plus optional manifests of the outcome
the dbt project must reach for each invoice. `expected_counts` and `override_seed_rows` are
the contract with the project; see `sample_export.scenarios`.
"""

from sample_export.scenarios import expected_counts, override_seed_rows

__all__ = ["expected_counts", "override_seed_rows"]
