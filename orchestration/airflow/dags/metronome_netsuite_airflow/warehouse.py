"""The dbt profile and process environment every step of the DAG shares.

DuckDB uses the project's own `profiles/profiles.yml`. Snowflake uses a Cosmos profile mapping
built from an Airflow connection, so no secret sits in a file or a Variable; the sync tool reads
the very profile Cosmos writes, so dbt and `netsuite-sync` always see the same warehouse.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from airflow.sdk.log import mask_secret
from cosmos import ProfileConfig
from cosmos.profiles import (
    SnowflakeEncryptedPrivateKeyFilePemProfileMapping,
    SnowflakeUserPasswordProfileMapping,
)

from metronome_netsuite_airflow.settings import PROFILE_NAME, DeploymentSettings

# Variables a dbt or netsuite-sync process needs from the worker; the rest of the worker's
# environment (Airflow's own configuration and secrets among it) is not passed on.
INHERITED_VARIABLES = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
)
SNOWFLAKE_THREADS = 8
# Cosmos passes a mapped profile's secret fields (password, key passphrase) as these variables.
COSMOS_SECRET_PREFIX = "COSMOS_CONN_"  # noqa: S105 - a variable-name prefix


def profile_config(settings: DeploymentSettings) -> ProfileConfig:
    if settings.is_duckdb:
        profiles_dir = settings.duckdb_profiles_dir or settings.project_dir / "profiles"
        return ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name="duckdb",
            profiles_yml_filepath=profiles_dir / "profiles.yml",
        )
    mapping_class = (
        SnowflakeEncryptedPrivateKeyFilePemProfileMapping
        if settings.snowflake_auth == "private_key_file"
        else SnowflakeUserPasswordProfileMapping
    )
    return ProfileConfig(
        profile_name=PROFILE_NAME,
        target_name="snowflake",
        profile_mapping=mapping_class(
            conn_id=settings.snowflake_conn_id,
            profile_args={"threads": SNOWFLAKE_THREADS},
        ),
    )


def base_environment(
    settings: DeploymentSettings, worker_environment: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What every dbt and netsuite-sync process of the DAG runs with, secrets aside."""
    source = os.environ if worker_environment is None else worker_environment
    environment = {name: source[name] for name in INHERITED_VARIABLES if name in source}
    environment["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    environment["DO_NOT_TRACK"] = "1"
    if settings.duckdb_path is not None:
        environment["METRONOME_NETSUITE_DUCKDB_PATH"] = str(settings.duckdb_path)
    return environment


@dataclass(frozen=True)
class WarehouseProfile:
    """A profiles.yml on disk and the environment its `env_var()`s need."""

    profiles_dir: Path
    target: str
    environment: Mapping[str, str]


@contextmanager
def warehouse_profile(settings: DeploymentSettings) -> Iterator[WarehouseProfile]:
    """The profile for the current task; a mapped profile's file is removed afterwards."""
    config = profile_config(settings)
    with config.ensure_profile() as (profile_path, profile_environment):
        for name, value in profile_environment.items():
            if name.startswith(COSMOS_SECRET_PREFIX):
                mask_secret(value)
        yield WarehouseProfile(
            profiles_dir=Path(profile_path).parent,
            target=config.target_name,
            environment={**base_environment(settings), **profile_environment},
        )
