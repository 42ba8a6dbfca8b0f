"""An EventBridge event pattern matcher with AWS's semantics, for the patterns this project writes.

EventBridge User Guide, "Creating event patterns" and "Comparison operators": a pattern's leaf is an array of
accepted values; a field matches when its value (or, for an array in the event, any of its values) equals one of
them; ``{"equals-ignore-case": ...}`` compares strings without case; a field the event lacks matches nothing but
``{"exists": false}``; every field of the pattern must match. Arrays of objects in the event are flattened: a
path collects the values of every element (EventBridge evaluates arrays as sets of values). moto's matcher does
not descend into arrays, so a Security Hub pattern (``detail.findings`` is an array) never matches there.
"""

from __future__ import annotations

from typing import Any


def _values(node: Any, path: list[str]) -> list[Any]:
    if isinstance(node, list):
        return [value for item in node for value in _values(item, path)]
    if not path:
        return [node]
    if not isinstance(node, dict) or path[0] not in node:
        return []
    return _values(node[path[0]], path[1:])


def _accepts(accepted: dict[str, Any] | Any, values: list[Any]) -> bool:
    if isinstance(accepted, dict):
        [(operator, operand)] = accepted.items()
        if operator == "equals-ignore-case":
            return any(isinstance(value, str) and value.lower() == operand.lower() for value in values)
        if operator == "exists":
            return bool(values) is operand
        if operator == "prefix":
            return any(isinstance(value, str) and value.startswith(operand) for value in values)
        raise AssertionError(f"operator {operator} is not modelled")
    return any(value == accepted and type(value) is type(accepted) for value in values)


def matches(pattern: dict[str, Any], event: dict[str, Any], path: tuple[str, ...] = ()) -> bool:
    """True when ``event`` matches ``pattern`` (a rule's EventPattern)."""
    for key, wanted in pattern.items():
        here = [*path, key]
        if isinstance(wanted, dict):
            if not matches(wanted, event, tuple(here)):
                return False
            continue
        values = _values(event, here)
        if not any(_accepts(accepted, values) for accepted in wanted):
            return False
    return True
