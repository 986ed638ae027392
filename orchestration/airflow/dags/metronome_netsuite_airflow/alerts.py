"""Alerting hooks: a task that failed for good, a stale export, invoices that do not reconcile.

Every alert is logged (one line starting with ALERT_LOG_MARKER, easy to match in log-based
alerting) and, when the Airflow Variable `metronome_netsuite_alert_webhook_url` is set, posted
as `{"text": ...}`: the payload of a Slack incoming webhook, which Teams workflows, Google Chat
and most chat-ops relays accept too. A failing webhook is logged and never fails the task or
hides the failure that raised the alert.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.sdk.log import mask_secret

from metronome_netsuite_airflow.settings import read_variable

ALERT_LOG_MARKER = "METRONOME_NETSUITE_ALERT"
WEBHOOK_TIMEOUT_S = 10.0
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    summary: str
    severity: str = "error"
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    details: Sequence[str] = ()

    def text(self) -> str:
        where = " / ".join(part for part in (self.dag_id, self.task_id) if part)
        run = f" (run {self.run_id})" if self.run_id else ""
        head = f"[{self.severity}] {where}: " if where else f"[{self.severity}] "
        return "\n".join([f"{head}{self.summary}{run}", *self.details])


def alert_webhook_url() -> str | None:
    url = read_variable("alert_webhook_url")
    if url:
        # A Slack webhook URL is a credential: keep it out of task logs.
        mask_secret(url)
    return url


def post_webhook(url: str, payload: Mapping[str, Any]) -> None:
    if not url.startswith(("https://", "http://")):
        raise ValueError("the alert webhook URL must start with https:// or http://")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
        response.read()


def send_alert(alert: Alert, logger: logging.Logger = LOGGER) -> bool:
    """Log the alert and post it to the webhook if one is set; True when it was posted."""
    text = alert.text()
    logger.warning("%s %s", ALERT_LOG_MARKER, text)
    url = alert_webhook_url()
    if not url:
        return False
    try:
        post_webhook(url, {"text": text})
    except (OSError, ValueError, urllib.error.URLError) as error:
        logger.error("%s could not be posted to the webhook: %s", ALERT_LOG_MARKER, error)
        return False
    return True


def alert_from_context(
    context: Mapping[str, Any],
    summary: str,
    *,
    severity: str = "error",
    details: Sequence[str] = (),
) -> Alert:
    task_instance = context.get("task_instance") or context.get("ti")
    return Alert(
        summary=summary,
        severity=severity,
        dag_id=getattr(task_instance, "dag_id", None),
        run_id=getattr(task_instance, "run_id", None) or context.get("run_id"),
        task_id=getattr(task_instance, "task_id", None),
        details=details,
    )


def on_task_failure(context: Mapping[str, Any]) -> None:
    """`on_failure_callback` of every task: runs once retries are used up."""
    try:
        exception = context.get("exception")
        reason = str(exception).strip().splitlines()[0] if exception else "see the task log"
        send_alert(alert_from_context(context, f"task failed: {reason}"))
    except Exception:  # an alerting bug must not mask the task's own failure
        LOGGER.exception("%s the failure alert itself failed", ALERT_LOG_MARKER)
