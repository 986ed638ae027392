"""Find the warehouse of a dbt target the way dbt does (profiles.yml, env_var, vars).

Resolution order, as dbt's: `--profiles-dir`, else $DBT_PROFILES_DIR, else the current
directory when it holds profiles.yml, else ~/.dbt. The profile name comes from
`dbt_project.yml` in the project dir; the target defaults to the profile's `target`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netsuite_sync.settings import SettingsError


@dataclass(frozen=True)
class DbtProject:
    project_dir: Path
    profile_name: str
    vars: Mapping[str, Any] = field(default_factory=dict)

    def var(self, name: str, default: Any = None) -> Any:
        value = self.vars.get(name)
        return default if value is None else value


@dataclass(frozen=True)
class WarehouseTarget:
    """A rendered dbt output. `config` may hold passwords: it is never printed."""

    profile_name: str
    target_name: str
    adapter_type: str
    config: Mapping[str, Any] = field(repr=False)

    @property
    def schema(self) -> str:
        return str(self.config.get("schema") or "main")

    def describe(self) -> str:
        return f"profile {self.profile_name!r}, target {self.target_name!r} ({self.adapter_type})"


def load_project(project_dir: Path) -> DbtProject:
    path = project_dir / "dbt_project.yml"
    if not path.is_file():
        raise SettingsError(f"no dbt_project.yml in {project_dir} (use --project-dir)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    profile = data.get("profile")
    if not profile:
        raise SettingsError(f"{path} does not name a profile")
    project_vars = data.get("vars") or {}
    return DbtProject(project_dir=project_dir, profile_name=str(profile), vars=project_vars)


def default_profiles_dir(env: Mapping[str, str], cwd: Path) -> Path:
    if env.get("DBT_PROFILES_DIR"):
        return Path(env["DBT_PROFILES_DIR"]).expanduser()
    if (cwd / "profiles.yml").is_file():
        return cwd
    return Path.home() / ".dbt"


def load_target(
    project: DbtProject,
    *,
    profiles_dir: Path | None,
    target: str | None,
    env: Mapping[str, str],
    cwd: Path,
) -> WarehouseTarget:
    directory = profiles_dir or default_profiles_dir(env, cwd)
    path = directory / "profiles.yml"
    if not path.is_file():
        raise SettingsError(f"no profiles.yml in {directory} (use --profiles-dir)")
    profiles = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    profile = profiles.get(project.profile_name)
    if not isinstance(profile, dict):
        raise SettingsError(f"profile {project.profile_name!r} not found in {path}")
    target_name = target or env.get("DBT_TARGET") or _render_scalar(profile.get("target"), env)
    if not target_name:
        raise SettingsError(f"profile {project.profile_name!r} has no default target")
    outputs = profile.get("outputs") or {}
    output = outputs.get(target_name)
    if not isinstance(output, dict):
        raise SettingsError(f"target {target_name!r} not found in profile {project.profile_name!r}")
    rendered = render_env_vars(output, env)
    adapter_type = str(rendered.get("type", "")).lower()
    if not adapter_type:
        raise SettingsError(f"target {target_name!r} has no type")
    return WarehouseTarget(
        profile_name=project.profile_name,
        target_name=str(target_name),
        adapter_type=adapter_type,
        config=rendered,
    )


def render_env_vars(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Render `{{ env_var(...) }}` (and other profile Jinja) with dbt's own renderer."""
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(env))
    try:
        rendered = ProfileRenderer({}).render_data(data)
    except Exception as error:  # dbt raises several types; the message names the variable
        message = str(error).replace("\n", " ").strip()
        raise SettingsError(f"cannot render profile: {message}") from None
    return dict(rendered)


def _render_scalar(value: Any, env: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    return str(render_env_vars({"value": value}, env)["value"])
