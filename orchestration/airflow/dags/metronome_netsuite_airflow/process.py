"""Run one of the project's command-line tools from a task, its output in the task log."""

from __future__ import annotations

import logging
import subprocess
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Enough of the output to interpret a summary line or quote an error in an alert.
KEPT_LINES = 400


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output_lines: tuple[str, ...]

    @property
    def tail(self) -> str:
        return "\n".join(self.output_lines[-20:])


def run_command(
    argv: Sequence[str | Path],
    *,
    cwd: Path,
    environment: Mapping[str, str],
    logger: logging.Logger,
    echo: bool = True,
) -> CommandResult:
    """Run `argv` (never through a shell), stream its output to `logger`, keep the last lines.

    The task's `execution_timeout` bounds it: Airflow interrupts the task, and the child is
    terminated here on the way out.
    """
    command = [str(part) for part in argv]
    logger.info("running %s", " ".join([Path(command[0]).name, *command[1:]]))
    kept: deque[str] = deque(maxlen=KEPT_LINES)
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(environment),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    try:
        assert process.stdout is not None
        for raw_line in process.stdout:
            line = raw_line.rstrip("\n")
            kept.append(line)
            if echo:
                logger.info("%s", line)
        returncode = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return CommandResult(returncode=returncode, output_lines=tuple(kept))
