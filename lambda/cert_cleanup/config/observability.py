"""Logger, Metrics and Tracer: created here, used everywhere.

Each function's stack sets POWERTOOLS_SERVICE_NAME (the digest logs as ``cert-cleanup-digest``); Powertools
reads it when no service is passed, so none is passed where the variable is set. Outside Lambda (the command
line, the tests) the service is ``cert-cleanup``.
"""

from __future__ import annotations

import functools
import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from cert_cleanup.config import names


def service_name() -> str:
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or names.SERVICE_NAME


logger = Logger(service=service_name())
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or names.METRICS_NAMESPACE)


@functools.cache
def tracer() -> Tracer:
    """The X-Ray tracer (disabled outside Lambda), made on first use.

    Only the Lambda handler uses it; creating it imports the X-Ray SDK (about 150 ms), which the
    command-line tool and the tests do not need.
    """
    return Tracer(service=service_name())
