"""A StackSet operation in one region, under the operation preferences of a template.

The rules, from the CloudFormation API reference (``StackSetOperationPreferences``) and User Guide
("StackSet operation options", "Concurrency mode"):
- percentages of the accounts round down; a concurrency that rounds to 0 becomes 1, a tolerance stays 0;
- ``STRICT_FAILURE_TOLERANCE`` (the default): the concurrency is at most the tolerance + 1, and the operation
  stops when failures reach the tolerance + 1;
- ``SOFT_FAILURE_TOLERANCE``: the concurrency is what was asked whatever fails; once failures exceed the
  tolerance no further account is started, and accounts already under way finish;
- StackSets runs at most 100 stack instances of a stack set at once (User Guide).
Accounts are taken in order, a batch of ``concurrency`` at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICE_MAXIMUM = 100


@dataclass(frozen=True)
class Outcome:
    concurrency: int
    deployed: list[int]
    failed: list[int]
    not_started: list[int]


def _count(preferences: dict[str, Any], name: str, accounts: int, *, at_least_one: bool) -> int:
    if f"{name}Count" in preferences:
        return int(preferences[f"{name}Count"])
    count = accounts * int(preferences.get(f"{name}Percentage", 0)) // 100
    return max(count, 1) if at_least_one else count


def run(preferences: dict[str, Any], accounts: int, failing: set[int]) -> Outcome:
    tolerance = _count(preferences, "FailureTolerance", accounts, at_least_one=False)
    concurrency = _count(preferences, "MaxConcurrent", accounts, at_least_one=True)
    if preferences.get("ConcurrencyMode", "STRICT_FAILURE_TOLERANCE") == "STRICT_FAILURE_TOLERANCE":
        concurrency = min(concurrency, tolerance + 1)
    concurrency = min(concurrency, SERVICE_MAXIMUM)
    deployed: list[int] = []
    failed: list[int] = []
    queue = list(range(accounts))
    while queue:
        batch, queue = queue[:concurrency], queue[concurrency:]
        for account in batch:
            (failed if account in failing else deployed).append(account)
        if len(failed) > tolerance:
            break
    return Outcome(concurrency, deployed, failed, queue)
