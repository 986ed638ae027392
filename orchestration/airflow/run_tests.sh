#!/usr/bin/env bash
# Tests of the Airflow DAG (orchestration/airflow/dags) in Airflow's own virtual environment,
# never the project's .venv: Airflow's pins and dbt's clash. Cosmos runs the project's dbt.
#
#   orchestration/airflow/run_tests.sh           all of it, one `airflow dags test` run included
#   orchestration/airflow/run_tests.sh --quick   DAG import, task graph, steps; no DAG run
#   orchestration/airflow/run_tests.sh --ci      the DAG run only when its inputs changed since
#                                                the last recorded pass (e2e.sha256), else --quick
#   orchestration/airflow/run_tests.sh --freeze  re-resolve requirements and rewrite constraints.txt
#   orchestration/airflow/run_tests.sh --fingerprint  print the hash --ci compares with e2e.sha256
#
# Environment:
#   PROJECT_VENV  the dbt project's venv (default <repo>/.venv; `make venv` creates it)
#   AIRFLOW_VENV  Airflow's venv (default: a cache folder named after the pinned set, reused)
#   AIRFLOW_E2E   always | never: overrides --ci's decision
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
UV_VERSION=0.13.9
MARKER=orchestration/airflow/e2e.sha256
TEST_TIMEOUT_S=${TEST_TIMEOUT_S:-2700}
export PROJECT_VENV=${PROJECT_VENV:-$REPO/.venv}
# What the DAG run depends on besides the models, whose results tests/python checks.
E2E_INPUTS=(orchestration selectors.yml dbt_project.yml profiles scripts/netsuite_sync
  pyproject.toml constraints.txt)

mode=full
case "${1:-}" in
  "") ;;
  --quick | --ci | --freeze | --fingerprint) mode=${1#--} ;;
  *)
    echo "usage: $0 [--quick | --ci | --freeze | --fingerprint]" >&2
    exit 2
    ;;
esac

e2e_fingerprint() {
  # Content of every tracked or new (not ignored) file among the inputs: the same in a
  # fresh clone as in the work tree that recorded it, whatever the commit history.
  local files
  files=$(cd "$REPO" && git ls-files --cached --others --exclude-standard -- "${E2E_INPUTS[@]}") ||
    return 1
  [ -n "$files" ] || return 1
  (
    cd "$REPO"
    printf '%s\n' "$files" | LC_ALL=C sort -u | while IFS= read -r file; do
      if [ "$file" != "$MARKER" ] && [ -f "$file" ]; then
        sha256sum "$file"
      fi
    done
  ) | sha256sum | cut -d' ' -f1
}

freeze() {
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  "$PYTHON" -m venv "$scratch/venv"
  "$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$scratch/venv/bin/python" -m uv pip install --quiet --python "$scratch/venv/bin/python" \
    -r "$HERE/requirements-test.txt"
  {
    sed -n '1,3p' "$HERE/constraints.txt"
    "$scratch/venv/bin/python" -m uv pip freeze --python "$scratch/venv/bin/python" |
      grep -v '^uv==' | LC_ALL=C sort -f
  } >"$HERE/constraints.txt.new"
  mv "$HERE/constraints.txt.new" "$HERE/constraints.txt"
  echo "rewrote $HERE/constraints.txt"
}

ensure_airflow_venv() {
  local stamp
  stamp=$(cat "$HERE/requirements.txt" "$HERE/requirements-test.txt" "$HERE/constraints.txt" |
    sha256sum | cut -c1-12)
  AIRFLOW_VENV=${AIRFLOW_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/metronome-netsuite/airflow-$stamp}
  if [ -f "$AIRFLOW_VENV/.installed-$stamp" ]; then
    echo "Airflow venv: reusing $AIRFLOW_VENV"
    return
  fi
  local started=$SECONDS
  rm -rf "$AIRFLOW_VENV"
  mkdir -p "$(dirname "$AIRFLOW_VENV")"
  "$PYTHON" -m venv "$AIRFLOW_VENV"
  # uv resolves and installs the ~150 pinned packages in seconds where pip takes minutes.
  "$AIRFLOW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$AIRFLOW_VENV/bin/python" -m uv pip install --quiet --python "$AIRFLOW_VENV/bin/python" \
    -r "$HERE/requirements-test.txt" -c "$HERE/constraints.txt"
  touch "$AIRFLOW_VENV/.installed-$stamp"
  echo "Airflow venv: created $AIRFLOW_VENV in $((SECONDS - started)) s"
}

if [ "$mode" = freeze ]; then
  freeze
  exit 0
fi
if [ "$mode" = fingerprint ]; then
  e2e_fingerprint
  exit 0
fi

if [ "$mode" = ci ]; then
  fingerprint=$(e2e_fingerprint) || fingerprint="unknown (no git work tree)"
  recorded=$(cat "$REPO/$MARKER" 2>/dev/null || true)
  case "${AIRFLOW_E2E:-}" in
    always) mode=full ;;
    never) mode=quick ;;
    *)
      if [ "$fingerprint" = "$recorded" ]; then
        echo "DAG run: its inputs are unchanged since the recorded pass ($MARKER); quick checks only"
        mode=quick
      else
        echo "DAG run: its inputs changed since the recorded pass ($MARKER); running it"
        mode=full
      fi
      ;;
  esac
fi

if [ ! -x "$PROJECT_VENV/bin/dbt" ]; then
  if [ "$PROJECT_VENV" = "$REPO/.venv" ]; then
    make -C "$REPO" venv
  else
    echo "no dbt in PROJECT_VENV=$PROJECT_VENV" >&2
    exit 2
  fi
fi
ensure_airflow_venv

pytest_args=(-c "$HERE/pytest.ini" "$HERE/tests" --durations=6)
if [ "$mode" = quick ]; then
  pytest_args+=(-m "not e2e")
fi
cd "$REPO"
started=$SECONDS
timeout --kill-after=30 "$TEST_TIMEOUT_S" "$AIRFLOW_VENV/bin/python" -m pytest "${pytest_args[@]}"
echo "Airflow DAG tests ($mode): $((SECONDS - started)) s"
if [ "$mode" = full ] && fingerprint=$(e2e_fingerprint); then
  echo "$fingerprint" >"$REPO/$MARKER"
  echo "recorded the DAG run's inputs in $MARKER (commit it so CI can skip an unchanged run)"
fi
