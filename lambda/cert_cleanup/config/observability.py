"""Logger, Metrics and Tracer: created here, used everywhere."""

from __future__ import annotations

import functools

from aws_lambda_powertools import Logger, Metrics, Tracer

from cert_cleanup.config import names

logger = Logger(service=names.SERVICE_NAME)
metrics = Metrics(namespace=names.METRICS_NAMESPACE, service=names.SERVICE_NAME)


@functools.cache
def tracer() -> Tracer:
    """The X-Ray tracer (disabled outside Lambda), made on first use.

    Only the Lambda handler uses it; creating it imports the X-Ray SDK (about 150 ms), which the
    command-line tool and the tests do not need.
    """
    return Tracer(service=names.SERVICE_NAME)
