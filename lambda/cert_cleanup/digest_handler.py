"""The organization digest's Lambda entry point: its settings, its clients, one call."""

from __future__ import annotations

import functools
import os
from typing import Any

from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.observability import logger, metrics
from cert_cleanup.config.settings import DigestSettings
from cert_cleanup.org import job


@functools.cache
def _settings() -> DigestSettings:
    return DigestSettings.from_env(os.environ)


@functools.cache
def _clients() -> AwsClients:
    return AwsClients()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return job.send(_settings(), _clients(), seconds_left=job.remaining(context))
