"""Logging for the command line: stderr, secrets redacted."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from netsuite_sync.settings import redact


class RedactingFilter(logging.Filter):
    """Replaces known secret values in every formatted record passing the handler."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = redact(message, self.secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


@contextlib.contextmanager
def cli_logging(verbosity: int) -> Iterator[RedactingFilter]:
    """Install a stderr handler for the duration of one command and remove it after."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redacting = RedactingFilter()
    handler.addFilter(redacting)
    root = logging.getLogger()
    previous_root_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield redacting
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_root_level)
