"""EventBridge schedule expressions, checked as EventBridge checks them, so that synth refuses what a deploy would.

From the EventBridge User Guide ("Creating an Amazon EventBridge rule that runs on a schedule", cron and
rate expressions): ``rate(value unit)`` with a positive whole value and ``minute``/``minutes``,
``hour``/``hours``, ``day``/``days`` (singular for 1); ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``:

| field | values | wildcards |
|---|---|---|
| Minutes | 0-59 | , - * / |
| Hours | 0-23 | , - * / |
| Day-of-month | 1-31 | , - * ? / L W |
| Month | 1-12 or JAN-DEC | , - * / |
| Day-of-week | 1-7 or SUN-SAT | , - * ? L # |
| Year | 1970-2199 | , - * / |

and "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
specify a value or a * in one of the fields, you must use a ? in the other."
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RATE_PATTERN = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
CRON_PATTERN = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60}


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    question: bool = False  # "?" allowed
    last: bool = False  # "L" allowed
    weekday: bool = False  # "W" allowed
    nth: bool = False  # "#" allowed


FIELDS = (
    Field("minutes", 0, 59),
    Field("hours", 0, 23),
    Field("day-of-month", 1, 31, question=True, last=True, weekday=True),
    Field("month", 1, 12, names=MONTHS),
    Field("day-of-week", 1, 7, names=DAYS, question=True, last=True, nth=True),
    Field("year", 1970, 2199),
)


class ScheduleError(ValueError):
    """What EventBridge would refuse in a schedule expression, said so a person can fix it."""


def check(expression: str) -> str:
    """``expression`` if EventBridge accepts it, else :class:`ScheduleError` naming what is wrong."""
    rate = RATE_PATTERN.fullmatch(expression)
    if rate:
        value = int(rate["value"])
        if value < 1:
            raise ScheduleError(f"a rate must be at least 1, got {expression!r}")
        if (value == 1) == rate["unit"].endswith("s"):
            raise ScheduleError(f"use the {'singular' if value == 1 else 'plural'} unit, got {expression!r}")
        return expression
    cron = CRON_PATTERN.fullmatch(expression)
    if not cron:
        raise ScheduleError(
            f"must be 'rate(N unit)' or 'cron(minutes hours day-of-month month day-of-week year)', got {expression!r}"
        )
    parts = cron["fields"].split()
    if len(parts) != len(FIELDS):
        raise ScheduleError(f"a cron expression has 6 fields, got {len(parts)} in {expression!r}")
    for field, text in zip(FIELDS, parts, strict=True):
        problem = _field_problem(field, text)
        if problem:
            raise ScheduleError(f"cron {field.name}: {problem} in {expression!r}")
    day_of_month, day_of_week = parts[2], parts[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        fixed = list(parts)
        if day_of_month == "?":
            fixed[2] = "*"
        else:
            fixed[4] = "?"
        raise ScheduleError(
            "cron: exactly one of day-of-month and day-of-week must be '?' (EventBridge cannot use both), "
            f"got {expression!r}; for example cron({' '.join(fixed)})"
        )
    return expression


def interval_minutes(expression: str) -> int | None:
    """Minutes between runs of a ``rate()`` schedule, or of a ``cron()`` that runs once a day; else None."""
    rate = RATE_PATTERN.fullmatch(expression)
    if rate:
        return int(rate["value"]) * UNIT_MINUTES[rate["unit"].rstrip("s")]
    cron = CRON_PATTERN.fullmatch(expression)
    if cron:
        minute, hour, day_of_month, month, day_of_week, _year = cron["fields"].split()
        once_a_day = minute.isdigit() and hour.isdigit()
        every_day = day_of_month in {"*", "?"} and month == "*" and day_of_week in {"*", "?"}
        return 24 * 60 if once_a_day and every_day else None
    return None


def _field_problem(field: Field, text: str) -> str | None:
    if text == "?":
        return None if field.question else "'?' is allowed in day-of-month or day-of-week only"
    for part in text.split(","):
        problem = _part_problem(field, part)
        if problem:
            return problem
    return None


def _part_problem(field: Field, part: str) -> str | None:
    if field.last and part in {"L", "LW"} and (part == "L" or field.weekday):
        return None
    if field.weekday and part.endswith("W") and part[:-1].isdigit():
        return _value_problem(field, part[:-1])
    if field.nth and "#" in part:
        day, _, nth = part.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            return f"'#' takes the week of the month, 1 to 5, got {part!r}"
        return _value_problem(field, day)
    if field.last and field.nth and part.endswith("L") and len(part) > 1:
        return _value_problem(field, part[:-1])
    base, slash, step = part.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        return f"the step after '/' must be a positive whole number, got {part!r}"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    for value in (low, high) if dash else (low,):
        problem = _value_problem(field, value)
        if problem:
            return problem
    return None


def _value_problem(field: Field, value: str) -> str | None:
    if value.upper() in field.names or (value.isdigit() and field.low <= int(value) <= field.high):
        return None
    names = f" or {field.names[0]}-{field.names[-1]}" if field.names else ""
    return f"must be {field.low}-{field.high}{names}, got {value!r}"
