"""Test helpers: an in-process AWS (moto + the emulator's AWS-behaviour patches), faults, counts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from moto import mock_aws

from cert_cleanup.aws import AwsClients
from cert_cleanup.settings import Settings
from emulator import aws_fakes, seed

ACCOUNT = "123456789012"
CONTEXT = SimpleNamespace(
    function_name="cert-cleanup",
    memory_limit_in_mb=256,
    invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cert-cleanup",
    aws_request_id="test-request",
)
SERVICE_IDS = {
    "elb": "elastic-load-balancing",
    "elbv2": "elastic-load-balancing-v2",
    "cloudfront": "cloudfront",
    "appsync": "appsync",
    "iam": "iam",
    "sns": "sns",
    "s3": "s3",
    "ec2": "ec2",
    "sts": "sts",
    "config": "config-service",
}
SCHEDULED = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


def summary_settings(session: boto3.Session, **values: Any) -> Settings:
    """Settings with a fresh ``cert-cleanup`` topic in the session's region, plus ``values``."""
    topic = session.client("sns").create_topic(Name="cert-cleanup")["TopicArn"]
    return Settings.build(SNS_TOPIC_ARN=topic, **values)


FAST_RETRIES = Config(retries={"mode": "standard", "max_attempts": 2}, max_pool_connections=16)


@dataclass
class Fake:
    """One in-process AWS account for a test: a boto3 session, cert-cleanup's clients, helpers."""

    session: boto3.Session
    clients: AwsClients
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _faults: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def iam(self) -> Any:
        return self.session.client("iam", region_name="us-east-1")

    def certificate(
        self, name: str, *, days: float, path: str = "/", tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Upload a certificate expiring ``days`` from now (negative: expired)."""
        return seed.upload(self.iam, name, self.now + timedelta(days=days), path=path, tags=tags)

    def names_left(self) -> set[str]:
        paginator = self.iam.get_paginator("list_server_certificates")
        return {
            item["ServerCertificateName"]
            for page in paginator.paginate()
            for item in page["ServerCertificateMetadataList"]
        }

    def fail(
        self,
        service: str,
        operation: str,
        code: str,
        message: str = "injected",
        *,
        region: str | None = None,
        status: int = 400,
    ) -> None:
        """Make ``operation`` answer with an AWS error (no botocore retry: the answer is final)."""

        def answer(request_signer: Any = None, **_: Any) -> Any:
            if region and request_signer is not None and request_signer.region_name != region:
                return None
            return AWSResponse("https://fake", status, HTTPHeaders(), None), {
                "Error": {"Code": code, "Message": message}
            }

        self._register(f"before-call.{SERVICE_IDS[service]}.{operation}", answer)

    def _register(self, event: str, handler: Any) -> None:
        """On the session (clients made later) and on every client already made (each copied the session's hooks)."""
        self._faults.append((event, handler))
        self.session.events.register(event, handler)
        for client in list(self.clients._clients.values()):  # test support reaches in on purpose
            client.meta.events.register(event, handler)

    def heal(self) -> None:
        """Remove every fault and canned answer registered so far."""
        for event, handler in self._faults:
            self.session.events.unregister(event, handler)
            for client in list(self.clients._clients.values()):
                client.meta.events.unregister(event, handler)
        self._faults.clear()

    def respond(self, service: str, operation: str, parsed: dict[str, Any], *, region: str | None = None) -> None:
        """Make ``operation`` answer 200 with ``parsed`` (e.g. a malformed response)."""

        def answer(request_signer: Any = None, **_: Any) -> Any:
            if region and request_signer is not None and request_signer.region_name != region:
                return None
            return AWSResponse("https://fake", 200, HTTPHeaders(), None), parsed

        self._register(f"before-call.{SERVICE_IDS[service]}.{operation}", answer)

    def count_calls(self) -> None:
        def record(event_name: str, request_signer: Any = None, **_: Any) -> None:
            _prefix, service_id, operation = event_name.split(".", 2)
            region = request_signer.region_name if request_signer is not None else "?"
            with self._lock:
                self.calls[(service_id, region, operation)] += 1

        self.session.events.register("before-call.*.*", record)

    def calls_to(self, service: str) -> int:
        return sum(count for (svc, _, _), count in self.calls.items() if svc == SERVICE_IDS[service])


_LOADER = botocore.loaders.create_loader()


def new_session(region: str) -> boto3.Session:
    """A boto3 session whose service models come from one shared loader: read once per test process."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region)


@contextmanager
def fake_aws(config: Config | None = FAST_RETRIES) -> Iterator[Fake]:
    aws_fakes.install()
    aws_fakes.reset()
    with mock_aws():
        session = new_session("us-east-1")
        yield Fake(session=session, clients=AwsClients(session, config))
    aws_fakes.reset()
