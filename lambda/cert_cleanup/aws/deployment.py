"""Lambda: when this function was last deployed or changed, its own ``LastModified``.

The first scheduled run after a deploy tells people the whole current state; this is how a run knows it
is that one, with nothing stored between runs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cert_cleanup.aws.permissions import On, Permission

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

PERMISSIONS = (Permission("lambda:GetFunctionConfiguration", On.THIS_FUNCTION),)
LAST_MODIFIED = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$")


def deployed_at(lambda_client: LambdaClient, function_arn: str) -> datetime:
    """The function's ``LastModified`` (raises the AWS error, or ValueError for an answer not understood)."""
    configuration = lambda_client.get_function_configuration(FunctionName=function_arn)
    return parse_last_modified(configuration["LastModified"])


def parse_last_modified(value: str) -> datetime:
    """Lambda's ``LastModified``: ISO 8601 as the API reference shows it, ``2019-08-14T22:26:11.234+0000``."""
    match = LAST_MODIFIED.fullmatch(value)
    if not match:
        raise ValueError(f"not a LastModified time: {value!r}")
    whole, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    moment = datetime.fromisoformat(f"{whole}{zone}")
    return moment.replace(microsecond=int((fraction or "0")[:6].ljust(6, "0"))).astimezone(UTC)
