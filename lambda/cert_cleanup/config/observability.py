"""Logger and Metrics: created here, used everywhere.

Each function's stack sets POWERTOOLS_SERVICE_NAME (the digest logs as ``cert-cleanup-digest``); outside Lambda
(the command line, the tests) the service is ``cert-cleanup``.

No tracer: the function is traced by Lambda's active tracing (the stack turns it on), which records every
invocation and its duration in X-Ray with no SDK in the function. Powertools' Tracer is built on the X-Ray SDK
for Python, in maintenance since 2026-02-25 (end of support 2027-02-25), and importing it cost about 100 ms of
each cold start.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

from cert_cleanup.config import names


def service_name() -> str:
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or names.SERVICE_NAME


logger = Logger(service=service_name())
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or names.METRICS_NAMESPACE)
