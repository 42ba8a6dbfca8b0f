"""Best-effort steps: the one place that runs what a run does after its deletions besides telling people.

The steps (reading the function's deployment time, asking AWS Config to re-evaluate IAM.26, writing back to
Security Hub, posting to chat) inform people; they never decide what is deleted, and none of them may cost the
run its summary. Each runs here with a time budget taken from the invocation's remaining time; whatever it
raises (an AWS error, a malformed answer's KeyError, a bug) or a hang past its budget becomes a warning of the
result, and the run goes on to publish. A step that outlives its budget is left behind in its own daemon
thread: its clients' short timeouts and few retries (``aws.clients.BEST_EFFORT_CONFIG``) end it soon after.

Steps return their outcome and never touch the result themselves: only the caller's thread writes the result,
so a step left behind cannot change a summary already published.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cert_cleanup.aws.clients import error_code, error_message
from cert_cleanup.config.observability import logger

T = TypeVar("T")

# The most one step may take, however much time the invocation has left.
STEP_LIMIT_SECONDS = 60.0
# Kept back for what must happen after the steps: the summary's publish (its clients' retries included).
RESERVED_SECONDS = 90.0


@dataclass
class Deadline:
    """When the invocation ends (``time.monotonic()`` seconds); steps get what is left before the reserve."""

    ends_at: float

    @classmethod
    def from_context(cls, context: Any, default_seconds: float) -> Deadline:
        """Lambda's remaining time, or ``default_seconds`` outside Lambda (tests, the command line)."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        seconds = remaining_ms() / 1000 if callable(remaining_ms) else default_seconds
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.ends_at - time.monotonic())

    def budget(self) -> float:
        """What one step may take now: at most STEP_LIMIT_SECONDS, and never the time kept for the publish."""
        return max(0.0, min(STEP_LIMIT_SECONDS, self.remaining() - RESERVED_SECONDS))


@dataclass
class Outcome(Generic[T]):
    """A step's value, or the warning that replaced it."""

    value: T | None = None
    warning: str | None = None
    finished: bool = field(default=False)


def run_step(name: str, step: Callable[[], T], deadline: Deadline, *, otherwise: str = "") -> Outcome[T]:
    """Run ``step`` within the deadline's budget; any exception or hang becomes a warning naming ``name`` (and
    ``otherwise``: what the run does without the step)."""
    tail = f"; {otherwise}" if otherwise else ""
    budget = deadline.budget()
    if budget <= 0:
        warning = f"{name}: not attempted, no time left before the summary must be published{tail}"
        logger.warning("best-effort step skipped", step=name)
        return Outcome(warning=warning)
    box: Outcome[T] = Outcome()

    def work() -> None:
        try:
            box.value = step()
        except Exception as exc:  # noqa: BLE001 - best effort: every failure becomes a warning, never the run's end
            box.warning = f"{name} failed ({error_code(exc)}: {error_message(exc)}){tail}"
            logger.warning("best-effort step failed", step=name, code=error_code(exc))
        box.finished = True

    thread = threading.Thread(target=work, name=f"best-effort {name}", daemon=True)
    thread.start()
    thread.join(budget)
    if not box.finished:
        logger.warning("best-effort step timed out", step=name, budget_seconds=round(budget, 1))
        left = f"{name}: no answer within {budget:.0f} s, left unfinished so the summary goes out{tail}"
        return Outcome(warning=left)
    return Outcome(value=box.value, warning=box.warning, finished=True)
