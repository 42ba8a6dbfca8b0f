"""Logger, Metrics and Tracer: created here once, used everywhere."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from cert_cleanup import names

logger = Logger(service=names.SERVICE_NAME)
metrics = Metrics(namespace=names.METRICS_NAMESPACE, service=names.SERVICE_NAME)
tracer = Tracer(service=names.SERVICE_NAME)  # disables itself outside Lambda
