"""Settings and dbt profile resolution: one-line errors that name the setting, never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from netsuite_sync.cli import main
from netsuite_sync.profiles import load_project, load_target
from netsuite_sync.settings import (
    Secret,
    SettingsError,
    line_id_field_from,
    load_credentials,
)

SECRET_VARIABLES = (
    "NETSUITE_CONSUMER_KEY",
    "NETSUITE_CONSUMER_SECRET",
    "NETSUITE_TOKEN_ID",
    "NETSUITE_TOKEN_SECRET",
)
REQUIRED = ("NETSUITE_ACCOUNT_ID", *SECRET_VARIABLES)


@pytest.mark.parametrize("missing", REQUIRED)
def test_missing_setting_is_named_and_no_secret_is_shown(missing, netsuite_env):
    env = {k: v for k, v in netsuite_env.items() if k != missing}
    with pytest.raises(SettingsError) as error:
        load_credentials(env)
    message = str(error.value)
    assert missing in message
    assert "\n" not in message
    for name in SECRET_VARIABLES:
        assert netsuite_env[name] not in message


def test_base_url_is_derived_from_the_account_or_overridden(netsuite_env):
    derived = load_credentials(netsuite_env)
    assert derived.base_url == "https://1234567-sb1.suitetalk.api.netsuite.com"
    assert derived.realm == "1234567_SB1"
    overridden = load_credentials({**netsuite_env, "NETSUITE_BASE_URL": "http://127.0.0.1:9/"})
    assert overridden.base_url == "http://127.0.0.1:9"


def test_credentials_never_print_their_secrets(netsuite_env):
    credentials = load_credentials(netsuite_env)
    shown = f"{credentials!r} {credentials} {credentials.consumer_secret} {Secret('x')!r}"
    for name in SECRET_VARIABLES:
        assert netsuite_env[name] not in shown
    assert "1234567_SB1" in shown


def test_line_id_field_option_env_and_disable():
    assert line_id_field_from(None, {}) == "custcol_metronome_line_id"
    assert line_id_field_from(None, {"NETSUITE_LINE_ID_FIELD": "custcol_x"}) == "custcol_x"
    assert line_id_field_from("custcol_y", {"NETSUITE_LINE_ID_FIELD": "custcol_x"}) == "custcol_y"
    assert line_id_field_from("", {"NETSUITE_LINE_ID_FIELD": "custcol_x"}) is None
    assert line_id_field_from(None, {}, "custcol_from_dbt_var") == "custcol_from_dbt_var"
    assert line_id_field_from(None, {"NETSUITE_LINE_ID_FIELD": ""}, "custcol_var") is None


def test_cli_push_without_a_setting_exits_2_with_one_line(netsuite_env, sync_project, capsys):
    env = {k: v for k, v in netsuite_env.items() if k != "NETSUITE_TOKEN_SECRET"}
    code = main(["push", *sync_project.cli_args()], env=env)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.strip().splitlines() == [
        "netsuite-sync: error: missing setting: environment variable NETSUITE_TOKEN_SECRET "
        "is not set"
    ]
    for name in SECRET_VARIABLES[:3]:
        assert netsuite_env[name] not in captured.out + captured.err


@pytest.mark.parametrize("command", [[], ["push"], ["export-csv"], ["pull"], ["emulator"]])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: netsuite-sync" in capsys.readouterr().out


def test_profile_renders_env_var_and_picks_the_default_target(sync_project, monkeypatch):
    project = load_project(sync_project.project_dir)
    target = load_target(
        project, profiles_dir=None, target=None, env={}, cwd=sync_project.project_dir
    )
    assert (target.target_name, target.adapter_type) == ("dev", "duckdb")
    assert target.config["path"] == str(sync_project.database)
    rendered = load_target(
        project,
        profiles_dir=sync_project.profiles_dir,
        target=None,
        env={"SYNC_TEST_DUCKDB": "/elsewhere.duckdb"},
        cwd=Path("/"),
    )
    assert rendered.config["path"] == "/elsewhere.duckdb"


def test_profiles_dir_comes_from_dbt_profiles_dir_before_the_current_dir(sync_project, tmp_path):
    project = load_project(sync_project.project_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SettingsError, match=r"no profiles\.yml in"):
        load_target(
            project,
            profiles_dir=None,
            target=None,
            env={"DBT_PROFILES_DIR": str(empty)},
            cwd=sync_project.project_dir,
        )


def test_unknown_target_is_a_settings_error(sync_project):
    project = load_project(sync_project.project_dir)
    with pytest.raises(SettingsError, match="target 'prod' not found"):
        load_target(
            project, profiles_dir=sync_project.profiles_dir, target="prod", env={}, cwd=Path("/")
        )


def test_missing_env_var_in_profile_names_it(sync_project, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        "sync_test:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n"
        "      account: \"{{ env_var('SF_ACCOUNT_FOR_TEST') }}\"\n",
        encoding="utf-8",
    )
    project = load_project(sync_project.project_dir)
    with pytest.raises(SettingsError, match="SF_ACCOUNT_FOR_TEST"):
        load_target(project, profiles_dir=profiles, target=None, env={}, cwd=Path("/"))
