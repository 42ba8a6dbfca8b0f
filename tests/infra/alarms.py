"""CloudWatch alarm evaluation over time, for the alarm definitions of a synthesized template.

What it models, from the CloudWatch User Guide (alarm states, evaluating an alarm, missing data):
- a new alarm starts in INSUFFICIENT_DATA and is evaluated at once, then once per period;
- each evaluation computes the state from the period's statistic, the threshold and the comparison;
  a period without data is treated as ``TreatMissingData`` says (``notBreaching``: as within the
  threshold);
- an alarm runs the actions of a state (``AlarmActions``, ``OKActions``, ``InsufficientDataActions``)
  only when it changes into that state.

And the metrics the alarms here watch, given the failed runs (the SQS and Lambda metric references):
- Lambda ``Errors``: one per failed invocation, in its period;
- SQS ``NumberOfMessagesSent``: one per message sent (a Lambda on-failure destination sends one);
- SQS ``ApproximateNumberOfMessagesVisible``: the messages in the queue, which nothing here consumes,
  until the queue's retention period drops them.

Only single-period alarms (``EvaluationPeriods`` 1, the form this project uses) are modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PERIODS_PER_DAY = 24 * 12  # five-minute periods
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
ACTIONS = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}


@dataclass(frozen=True)
class Notification:
    period: int
    state: str
    targets: tuple[Any, ...]


def metric_values(
    alarm: dict[str, Any], failures: list[int], periods: int, *, retention_periods: int
) -> list[float | None]:
    """The value of the alarm's metric in each period, when runs fail in the periods ``failures``."""
    properties = alarm["Properties"]
    metric = (properties["Namespace"], properties["MetricName"])
    values: list[float | None] = []
    for period in range(periods):
        if metric in {("AWS/Lambda", "Errors"), ("AWS/SQS", "NumberOfMessagesSent")}:
            count = failures.count(period)
            values.append(float(count) if count else None)
        elif metric == ("AWS/SQS", "ApproximateNumberOfMessagesVisible"):
            # SQS reports the queue's depth every period, zero included.
            values.append(float(sum(1 for sent in failures if sent <= period < sent + retention_periods)))
        else:
            raise AssertionError(f"metric {metric} is not modelled")
    return values


def notifications(alarm: dict[str, Any], values: list[float | None]) -> list[Notification]:
    """Every action the alarm runs over ``values`` (one evaluation per period), from its creation."""
    properties = alarm["Properties"]
    assert properties.get("EvaluationPeriods", 1) == 1, "only single-period alarms are modelled"
    compare = COMPARE[properties["ComparisonOperator"]]
    missing = properties.get("TreatMissingData", "missing")
    state = "INSUFFICIENT_DATA"
    sent: list[Notification] = []
    for period, value in enumerate(values):
        if value is None:
            new = {"notBreaching": "OK", "breaching": "ALARM", "ignore": state, "missing": "INSUFFICIENT_DATA"}[missing]
        else:
            new = "ALARM" if compare(value, float(properties["Threshold"])) else "OK"
        if new != state:
            targets = tuple(properties.get(ACTIONS[new], []))
            if targets:
                sent.append(Notification(period, new, targets))
            state = new
    return sent
