"""`netsuite-sync`: push invoices to NetSuite, export the CSV template, pull them back.

Exit status: 0 all good, 1 an invoice failed (or a pull/warehouse error), 2 bad usage
or a missing setting, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from netsuite_sync import push_log
from netsuite_sync.csv_export import write_csv
from netsuite_sync.http_client import NetSuiteClient
from netsuite_sync.logs import cli_logging
from netsuite_sync.marts import INVOICES_MART, LINES_MART, Relations, Selection, stream_candidates
from netsuite_sync.payloads import PayloadOptions
from netsuite_sync.profiles import DbtProject, WarehouseTarget, load_project, load_target
from netsuite_sync.pull import DEFAULT_SCHEMA as DEFAULT_NETSUITE_SCHEMA
from netsuite_sync.pull import PullConfig, PullError, run_pull
from netsuite_sync.push import PushConfig, PushSummary, run_push
from netsuite_sync.report import DEFAULT_LIST_LIMIT, describe_summary, write_report
from netsuite_sync.retry import RetryPolicy
from netsuite_sync.settings import (
    SettingsError,
    line_id_field_from,
    load_credentials,
    redact,
)
from netsuite_sync.warehouse import Warehouse, open_warehouse

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# dbt var naming the custom line column (the reconciliation models read it too).
LINE_ID_FIELD_DBT_VAR = "netsuite_line_external_id_column"


# --------------------------------------------------------------------------- parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _currency_pair(text: str) -> tuple[str, str]:
    code, sep, internal_id = text.partition("=")
    if not sep or not code.strip() or not internal_id.strip():
        raise argparse.ArgumentTypeError("expected ISO=INTERNAL_ID, e.g. USD=1")
    return code.strip().upper(), internal_id.strip()


def _warehouse_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("warehouse (resolved like dbt)")
    group.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="dbt project folder holding dbt_project.yml (default: current directory)",
    )
    group.add_argument(
        "--profiles-dir",
        type=Path,
        default=None,
        help="folder of profiles.yml (default: $DBT_PROFILES_DIR, else the current "
        "directory if it has profiles.yml, else ~/.dbt)",
    )
    group.add_argument("--target", default=None, help="dbt target (default: the profile's)")
    return parent


def _selection_options(parent: argparse.ArgumentParser) -> None:
    group = parent.add_argument_group("selection")
    group.add_argument(
        "--marts-schema",
        default=None,
        help="schema of the netsuite_invoices marts (default: the target's schema)",
    )
    group.add_argument(
        "--push-log-schema",
        default=None,
        help="schema of netsuite_push_log (default: var netsuite_sync_schema, else "
        f"{push_log.DEFAULT_SCHEMA})",
    )
    group.add_argument(
        "--invoice",
        dest="invoices",
        action="append",
        default=[],
        metavar="ID",
        help="only this invoice external id (repeatable)",
    )
    group.add_argument(
        "--limit",
        type=_positive_int,
        default=None,
        metavar="N",
        help="at most N invoices to send (new or changed ones; unchanged are not counted)",
    )


def _payload_options(parent: argparse.ArgumentParser) -> None:
    group = parent.add_argument_group("payload")
    group.add_argument(
        "--line-id-field",
        default=None,
        help="custom line column carrying the Metronome line id (default: "
        "$NETSUITE_LINE_ID_FIELD, else var netsuite_line_external_id_column, else "
        "custcol_metronome_line_id; '' disables)",
    )
    group.add_argument(
        "--custom-form-id", default=None, help="NetSuite invoice form id (overrides the mart)"
    )
    group.add_argument(
        "--subsidiary-id", default=None, help="NetSuite subsidiary id (overrides the mart)"
    )
    group.add_argument(
        "--currency-map",
        dest="currency_map",
        action="append",
        type=_currency_pair,
        default=[],
        metavar="ISO=ID",
        help="NetSuite currency internal id for an ISO code, overriding the mart's "
        "netsuite_currency_id (repeatable); unmapped currencies are omitted so the "
        "customer's currency applies",
    )


def _http_options(parent: argparse.ArgumentParser, *, concurrency: bool) -> None:
    group = parent.add_argument_group("NetSuite requests")
    if concurrency:
        group.add_argument(
            "--concurrency",
            type=_positive_int,
            default=5,
            metavar="N",
            help="requests in flight at most (default 5; NetSuite's account limit is shared "
            "with every other integration)",
        )
    group.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="retries of a request after 429, 5xx, timeouts or dropped connections (default 5)",
    )
    group.add_argument(
        "--request-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="read timeout of one request (default 120)",
    )
    group.add_argument(
        "--backoff-base",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="first retry delay; doubles each retry, with jitter (default 0.5)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netsuite-sync",
        description="Push Metronome invoices from the dbt marts to NetSuite, export the CSV "
        "import template, and read NetSuite invoices back for reconciliation. NetSuite "
        "credentials come from NETSUITE_ACCOUNT_ID, NETSUITE_CONSUMER_KEY, "
        "NETSUITE_CONSUMER_SECRET, NETSUITE_TOKEN_ID, NETSUITE_TOKEN_SECRET "
        "(NETSUITE_BASE_URL overrides the endpoint).",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    warehouse = _warehouse_options()

    push = commands.add_parser(
        "push",
        parents=[warehouse],
        help="send new and changed invoices to NetSuite",
        description="Send each invoice that is new or whose payload_hash differs from its "
        "last successful push (upsert by external id); log every attempt in "
        "netsuite_push_log. Exit status 1 when any invoice failed.",
    )
    _selection_options(push)
    push.add_argument(
        "--force",
        action="store_true",
        help="send selected invoices even when unchanged since their last push",
    )
    push.add_argument(
        "--dry-run",
        action="store_true",
        help="build and validate payloads and print them as JSON lines; send and log nothing",
    )
    push.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )
    push.add_argument(
        "--log-flush-seconds",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="append buffered push-log rows at least this often (default 2); a crash loses "
        "at most this window, and the rerun re-sends those invoices as idempotent upserts",
    )
    _payload_options(push)
    _http_options(push, concurrency=True)

    export = commands.add_parser(
        "export-csv",
        parents=[warehouse],
        help="write the NetSuite CSV invoice import template",
        description="Write the CSV for NetSuite's Import Assistant (Transactions / Invoice), "
        "one row per line with External ID on every row, for the invoices push would send.",
    )
    export.add_argument("path", type=Path, help="CSV file to write ('-' for stdout)")
    _selection_options(export)
    export.add_argument(
        "--all",
        dest="include_unchanged",
        action="store_true",
        help="include invoices already pushed and unchanged",
    )
    _payload_options(export)

    pull = commands.add_parser(
        "pull",
        parents=[warehouse],
        help="read NetSuite invoices back into the warehouse (SuiteQL)",
        description="Land transaction and transactionline (NetSuite's column names, raw "
        "values) incrementally on lastmodifieddate.",
    )
    pull.add_argument(
        "--netsuite-schema",
        default=None,
        help=f"schema to land into (default: var netsuite_schema, else {DEFAULT_NETSUITE_SCHEMA})",
    )
    pull.add_argument(
        "--lookback-minutes",
        type=_non_negative_int,
        default=60,
        help="re-read transactions modified this long before the last one landed (default 60)",
    )
    pull.add_argument(
        "--full-refresh", action="store_true", help="re-read every invoice, ignoring the mark"
    )
    pull.add_argument(
        "--page-size", type=_positive_int, default=1000, help="SuiteQL page size (max 1000)"
    )
    pull.add_argument(
        "--line-id-field",
        default=None,
        help="custom line column to read (default: $NETSUITE_LINE_ID_FIELD, else var "
        "netsuite_line_external_id_column, else custcol_metronome_line_id; '' disables)",
    )
    _http_options(pull, concurrency=False)

    report = commands.add_parser(
        "report",
        parents=[warehouse],
        help="write the reconciliation report: one HTML page that works offline",
        description="Read the reconciliation marts and write one self-contained HTML page "
        "(no network needed): invoices by status, matched vs outstanding amounts per "
        "currency, charts, and the missing, mismatched and held invoices to act on.",
    )
    report.add_argument("path", type=Path, help="HTML file to write")
    report.add_argument(
        "--marts-schema",
        default=None,
        help="schema of the reconciliation marts (default: the target's schema)",
    )
    report.add_argument(
        "--list-limit",
        type=_positive_int,
        default=DEFAULT_LIST_LIMIT,
        metavar="N",
        help=f"rows per action list (default {DEFAULT_LIST_LIMIT}); the page says how many "
        "more there are",
    )

    emulator = commands.add_parser(
        "emulator",
        help="run the local NetSuite emulator",
        description="Serve a local NetSuite REST emulator (record upserts, SuiteQL) with "
        "switchable faults. Credentials come from the same NETSUITE_* variables.",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8300)
    emulator.add_argument("--concurrency-limit", type=_positive_int, default=5)
    emulator.add_argument("--latency-ms", type=_non_negative_int, default=0)
    emulator.add_argument("--error-rate", type=_rate, default=0.0, help="share of 5xx answers")
    emulator.add_argument("--timeout-rate", type=_rate, default=0.0)
    emulator.add_argument("--drop-after-commit-rate", type=_rate, default=0.0)
    emulator.add_argument("--invalid-login-rate", type=_rate, default=0.0)
    emulator.add_argument("--seed", type=int, default=0)
    emulator.add_argument(
        "--reference-data",
        type=Path,
        default=None,
        help="JSON of existing customers, items and currencies",
    )
    emulator.add_argument(
        "--state", type=Path, default=None, help="file keeping invoices across restarts"
    )
    return parser


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class WarehouseContext:
    project: DbtProject
    target: WarehouseTarget


def _warehouse_context(args: argparse.Namespace, env: Mapping[str, str]) -> WarehouseContext:
    project = load_project(args.project_dir)
    target = load_target(
        project, profiles_dir=args.profiles_dir, target=args.target, env=env, cwd=Path.cwd()
    )
    log.info("warehouse: %s", target.describe())
    return WarehouseContext(project=project, target=target)


@contextlib.contextmanager
def _opened(target: WarehouseTarget) -> Iterator[Warehouse]:
    warehouse = open_warehouse(target)
    try:
        yield warehouse
    finally:
        warehouse.close()


def _relations(
    args: argparse.Namespace, context: WarehouseContext, warehouse: Warehouse, *, create: bool
) -> Relations:
    marts_schema = args.marts_schema or context.target.schema
    log_schema = args.push_log_schema or str(
        context.project.var("netsuite_sync_schema", push_log.DEFAULT_SCHEMA)
    )
    if create:
        log_relation = push_log.ensure_table(warehouse, log_schema)
    elif warehouse.table_exists(log_schema, push_log.TABLE):
        log_relation = warehouse.dialect.relation(log_schema, push_log.TABLE)
    else:
        log_relation = push_log.empty_relation_sql(warehouse)
    return Relations(
        invoices=warehouse.dialect.relation(marts_schema, INVOICES_MART),
        lines=warehouse.dialect.relation(marts_schema, LINES_MART),
        push_log=log_relation,
    )


def _selection(args: argparse.Namespace, include_unchanged: bool) -> Selection:
    return Selection(
        invoice_ids=tuple(dict.fromkeys(args.invoices)),
        limit=args.limit,
        include_unchanged=include_unchanged,
    )


def _line_id_field(
    args: argparse.Namespace, env: Mapping[str, str], project: DbtProject
) -> str | None:
    project_default = project.vars.get(LINE_ID_FIELD_DBT_VAR)
    return line_id_field_from(
        args.line_id_field, env, None if project_default is None else str(project_default)
    )


def _payload_options_from(
    args: argparse.Namespace, env: Mapping[str, str], project: DbtProject
) -> PayloadOptions:
    return PayloadOptions(
        line_id_field=_line_id_field(args, env, project),
        custom_form_id=args.custom_form_id,
        subsidiary_id=args.subsidiary_id,
        currency_ids=dict(args.currency_map),
    )


def _retry_policy(args: argparse.Namespace) -> RetryPolicy:
    return RetryPolicy(max_retries=args.max_retries, base_delay_s=args.backoff_base)


# --------------------------------------------------------------------------- commands


def _tqdm_progress(disabled: bool) -> Any:
    from tqdm import tqdm

    def factory(total: int) -> Any:
        # disable=None: only on a terminal.
        return tqdm(
            total=total,
            unit="invoice",
            file=sys.stderr,
            disable=True if disabled else None,
            dynamic_ncols=True,
        )

    return factory


def _print_summary(summary: PushSummary, out: IO[str]) -> None:
    verb = "would send" if summary.dry_run else "sent"
    out.write(
        f"netsuite-sync push {summary.run_id}{' (dry run)' if summary.dry_run else ''}: "
        f"{verb} {summary.sent} (created {summary.created}, updated {summary.updated}), "
        f"skipped {summary.skipped}, failed {summary.failed}"
        + ("" if summary.dry_run else f"; {summary.attempts} requests")
        + "\n"
    )
    if summary.failures:
        out.write("failed invoices:\n")
        for failure in summary.failures:
            if failure.http_status:
                status = f"HTTP {failure.http_status}"
            else:
                status = "not sent" if failure.attempts == 0 else "no response"
            path = f" at {failure.error_path}" if failure.error_path else ""
            out.write(
                f"  {failure.external_id}: {status} {failure.error_code or ''}{path}"
                f" - {failure.error_detail or ''}\n"
            )


def _command_push(args: argparse.Namespace, env: Mapping[str, str], out: IO[str]) -> int:
    credentials = None if args.dry_run else load_credentials(env)
    context = _warehouse_context(args, env)
    config = PushConfig(
        selection=_selection(args, include_unchanged=args.force),
        payload_options=_payload_options_from(args, env, context.project),
        concurrency=args.concurrency,
        retry_policy=_retry_policy(args),
        dry_run=args.dry_run,
        flush_every_s=args.log_flush_seconds,
    )
    with _opened(context.target) as warehouse:
        relations = _relations(args, context, warehouse, create=not args.dry_run)
        progress = _tqdm_progress(args.no_progress or args.dry_run)
        if args.dry_run:
            summary = run_push(
                warehouse,
                relations,
                None,
                config,
                writer=None,
                progress_factory=progress,
                payload_out=out,
            )
        else:
            assert credentials is not None
            client = NetSuiteClient(credentials, timeout_s=args.request_timeout)
            writer = push_log.PushLogWriter(
                warehouse, relations.push_log, flush_every_s=config.flush_every_s
            )
            try:
                summary = run_push(
                    warehouse, relations, client, config, writer=writer, progress_factory=progress
                )
            finally:
                client.close()
    _print_summary(summary, sys.stderr if args.dry_run else out)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _command_export_csv(args: argparse.Namespace, env: Mapping[str, str], out: IO[str]) -> int:
    context = _warehouse_context(args, env)
    options = _payload_options_from(args, env, context.project)
    selection = _selection(args, include_unchanged=args.include_unchanged)
    with _opened(context.target) as warehouse:
        relations = _relations(args, context, warehouse, create=False)
        candidates = stream_candidates(warehouse, relations, selection)
        try:
            if str(args.path) == "-":
                summary = write_csv(candidates, out, options)
            else:
                args.path.parent.mkdir(parents=True, exist_ok=True)
                with args.path.open("w", encoding="utf-8", newline="") as handle:
                    summary = write_csv(candidates, handle, options)
        finally:
            candidates.close()
    sys.stderr.write(
        f"netsuite-sync export-csv: {summary.invoices} invoices, {summary.lines} lines"
        f" -> {args.path}; {summary.skipped_unchanged} unchanged left out"
        f"{'' if args.include_unchanged else ' (use --all to include them)'}"
        f", {len(summary.invalid)} invalid\n"
    )
    for invalid in summary.invalid:
        sys.stderr.write(f"  {invalid.external_id}: {invalid.error_code} - {invalid.detail}\n")
    return EXIT_FAILED if summary.invalid else EXIT_OK


def _command_pull(args: argparse.Namespace, env: Mapping[str, str], out: IO[str]) -> int:
    credentials = load_credentials(env)
    context = _warehouse_context(args, env)
    schema = args.netsuite_schema or str(
        context.project.var("netsuite_schema", DEFAULT_NETSUITE_SCHEMA)
    )
    config = PullConfig(
        schema=schema,
        line_id_field=_line_id_field(args, env, context.project),
        lookback=timedelta(minutes=args.lookback_minutes),
        full_refresh=args.full_refresh,
        page_size=min(args.page_size, 1000),
        retry_policy=_retry_policy(args),
    )
    client = NetSuiteClient(credentials, timeout_s=args.request_timeout)
    try:
        with _opened(context.target) as warehouse:
            result = run_pull(warehouse, client, config)
    finally:
        client.close()
    since = "everything" if result.since is None else f"modified since {result.since}"
    out.write(
        f"netsuite-sync pull: {result.transactions} invoices and {result.lines} lines "
        f"({since}) landed in {schema}.transaction / {schema}.transactionline\n"
    )
    return EXIT_OK


def _command_emulator(args: argparse.Namespace, env: Mapping[str, str], out: IO[str]) -> int:
    from netsuite_sync.emulator import (
        EmulatorConfig,
        FaultSettings,
        load_reference_file,
        serve_forever,
    )

    faults = FaultSettings(
        latency_ms=args.latency_ms,
        error_rate_5xx=args.error_rate,
        timeout_rate=args.timeout_rate,
        drop_after_commit_rate=args.drop_after_commit_rate,
        invalid_login_rate=args.invalid_login_rate,
        seed=args.seed,
    )
    # Validate the credentials with our own loader: one-line error, nothing echoed.
    load_credentials({**env, "NETSUITE_BASE_URL": "http://127.0.0.1"})
    try:
        config = EmulatorConfig.from_environment(
            concurrency_limit=args.concurrency_limit,
            faults=faults,
            reference=load_reference_file(args.reference_data) if args.reference_data else None,
            state_path=str(args.state) if args.state else None,
        )
    except (OSError, ValueError) as error:
        raise SettingsError(str(error)) from None
    serve_forever(config, args.host, args.port)  # prints its URL; runs until Ctrl-C
    return EXIT_OK


def _command_report(args: argparse.Namespace, env: Mapping[str, str], out: IO[str]) -> int:
    context = _warehouse_context(args, env)
    with _opened(context.target) as warehouse:
        summary = write_report(
            warehouse,
            args.path,
            marts_schema=args.marts_schema or context.target.schema,
            source=context.target.describe(),
            list_limit=args.list_limit,
        )
    for line in describe_summary(summary):
        out.write(line + "\n")
    return EXIT_OK


_COMMANDS = {
    "push": _command_push,
    "export-csv": _command_export_csv,
    "pull": _command_pull,
    "report": _command_report,
    "emulator": _command_emulator,
}


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    out: IO[str] | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    environment = dict(os.environ if env is None else env)
    stdout = out or sys.stdout
    secrets = tuple(
        environment.get(name, "")
        for name in (
            "NETSUITE_CONSUMER_KEY",
            "NETSUITE_CONSUMER_SECRET",
            "NETSUITE_TOKEN_ID",
            "NETSUITE_TOKEN_SECRET",
        )
    )
    with cli_logging(args.verbose) as redacting:
        redacting.secrets = tuple(s for s in secrets if s)
        try:
            return _COMMANDS[args.command](args, environment, stdout)
        except SettingsError as error:
            sys.stderr.write(f"netsuite-sync: error: {redact(str(error), secrets)}\n")
            return EXIT_USAGE
        except PullError as error:
            sys.stderr.write(f"netsuite-sync: error: {redact(str(error), secrets)}\n")
            return EXIT_FAILED
        except KeyboardInterrupt:
            sys.stderr.write("netsuite-sync: interrupted; attempts so far are in the push log\n")
            return EXIT_INTERRUPTED
        except Exception as error:
            if args.verbose >= 2:
                raise
            # Warehouse and driver errors: one line, secrets removed, no traceback.
            message = redact(str(error).strip().splitlines()[0] if str(error) else "", secrets)
            sys.stderr.write(f"netsuite-sync: error: {type(error).__name__}: {message}\n")
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
