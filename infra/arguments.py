"""The constructs' keyword arguments, checked by the one definition of each setting: DeployConfig.

The app (app.py) reads the context keys (``graceDays``) into DeployConfig; a construct passes its keyword arguments
(``grace_days``), the same fields by their Python names, through the same validators. The messages are the same,
naming the argument instead of the context key, so a wrong value fails at synth saying which argument it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from cert_cleanup.config.types import describe_errors

from .config import _FIELD_TO_KEY, KEYS, DeployConfig

_KEY_TO_NAME = {key: name for name, key in _FIELD_TO_KEY.items() if key}
# A context key as a whole word, longest first (``teamsTeamId`` before ``teamsTeam``...).
_KEY_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, KEYS), key=len, reverse=True)) + r")\b")


class ArgumentError(ValueError):
    """A construct's keyword argument is malformed; the message names the argument."""


def as_arguments(message: str) -> str:
    """A message written for context keys (``context 'graceDays'``, ``-c noSubscribers=true``), told in the
    construct's terms (``argument 'grace_days'``, ``no_subscribers=True``)."""
    message = message.replace("invalid CDK context: ", "")
    message = _KEY_WORD.sub(lambda match: _KEY_TO_NAME[match[1]], message)
    message = re.sub(r"\bcontext (?=')", "argument ", message)
    message = re.sub(r"-c (\w+)=(true|false)\b", lambda match: f"{match[1]}={match[2].capitalize()}", message)
    return message.replace("-c ", "")


def from_arguments(construct: str, values: dict[str, Any], *, allowed: Iterable[str]) -> DeployConfig:
    """DeployConfig from a construct's keyword arguments (``None``: the setting's default), checked as the context
    keys are; an error names the construct and the argument."""
    given = {name: value for name, value in values.items() if value is not None}
    unknown = sorted(set(given) - set(allowed) - {"mode"})
    if unknown:  # a type checker catches these first; a caller passing **kwargs reaches here
        raise ArgumentError(f"{construct}: unknown argument {', '.join(map(repr, unknown))}")
    try:
        return DeployConfig.model_validate(given)
    except ValidationError as exc:
        problems = describe_errors(exc, lambda field: f"argument {field!r}", unknown="unknown argument")
        raise ArgumentError(f"invalid {construct} arguments: " + "; ".join(map(as_arguments, problems))) from exc
