"""The sync tool opens the DuckDB warehouse with the profile's settings, like dbt."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from netsuite_sync.warehouse import DuckDBWarehouse

PROFILES = Path(__file__).resolve().parents[2] / "profiles" / "profiles.yml"


def test_shipped_profile_settings_apply_including_time_zone(tmp_path: Path) -> None:
    settings = yaml.safe_load(PROFILES.read_text())["metronome_netsuite"]["outputs"]["duckdb"][
        "settings"
    ]
    warehouse = DuckDBWarehouse(str(tmp_path / "w.duckdb"), settings)
    rows = warehouse.query(
        "select current_setting('TimeZone'), current_setting('preserve_insertion_order')"
    )
    assert rows == [("UTC", False)]


def test_a_setting_name_that_is_not_an_identifier_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a DuckDB setting name"):
        DuckDBWarehouse(str(tmp_path / "w.duckdb"), {"TimeZone = 'x'; drop": "1"})
