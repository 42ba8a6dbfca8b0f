"""The organization digest's Lambda entry point: decorators and one call."""

from __future__ import annotations

from typing import Any

from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.org import job


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return job.handle(context)
