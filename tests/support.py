"""Test helpers: an in-process AWS (moto + the emulator's AWS-behaviour patches), faults, counts."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.client
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from moto import mock_aws

from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.settings import Settings
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
    "lambda": "lambda",
    "securityhub": "securityhub",
    "dynamodb": "dynamodb",
    "acm": "acm",
    "organizations": "organizations",
    "events": "eventbridge",
}
SCHEDULED = seed.scheduled_event(ACCOUNT)


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
    # The ServerCertificateName of every DeleteServerCertificate the code attempted (any client of the process but
    # the test's own seeding one), whatever IAM or a test's fault answered: "no delete was attempted" is proven on
    # this, not on IAM refusing one (delete_attempts).
    deletes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _faults: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def iam(self) -> Any:
        """The test's own IAM client (not the code's): made once with the session, before any hook."""
        return _seed_iam(self.session)

    def certificate(
        self,
        name: str,
        *,
        days: float,
        path: str = "/",
        tags: dict[str, str] | None = None,
        names: tuple[str, ...] = (),
        key_type: str = "ec",
    ) -> dict[str, Any]:
        """Upload a certificate expiring ``days`` from now (negative: expired), serving ``<name>.example.com`` and
        ``names``."""
        when = self.now + timedelta(days=days)
        return seed.upload(self.iam, name, when, path=path, tags=tags, names=names, key_type=key_type)

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

        self.hook(f"before-call.{SERVICE_IDS[service]}.{operation}", answer)

    def hook(self, event: str, handler: Any) -> None:
        """Register ``handler`` for a botocore event on the clients the code uses: on the session (clients made
        later copy its hooks) and on every client already made. :meth:`heal` (and the test's end) removes it."""
        self._faults.append((event, handler))
        self.session.events.register(event, handler)
        for client in list(self.clients._clients.values()):  # test support reaches in on purpose
            client.meta.events.register(event, handler)

    def heal(self) -> None:
        """Remove every hook registered so far."""
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

        self.hook(f"before-call.{SERVICE_IDS[service]}.{operation}", answer)

    def count_calls(self) -> None:
        """Count every call the code's clients make (``calls``), by service id, region and operation."""

        def record(event_name: str, request_signer: Any = None, **_: Any) -> None:
            _prefix, service_id, operation = event_name.split(".", 2)
            region = request_signer.region_name if request_signer is not None else "?"
            with self._lock:
                self.calls[(service_id, region, operation)] += 1

        self.hook("before-call.*.*", record)

    def calls_to(self, service: str) -> int:
        return sum(count for (svc, _, _), count in self.calls.items() if svc == SERVICE_IDS[service])

    def deploy_function(self, *, at: datetime) -> str:
        """The function CONTEXT names, as deployed (or last changed) at ``at``: what GetFunctionConfiguration
        reads for the first scheduled run after a deploy."""
        deploy_function(self.session, at=at)
        return str(CONTEXT.invoked_function_arn)


def deploy_function(session: boto3.Session, *, at: datetime, name: str = seed.FUNCTION_NAME) -> None:
    """The function in the emulated account, as deployed (or last changed) at ``at``."""
    seed.deployed_function(session, name)
    from moto.awslambda.models import lambda_backends  # the emulated account's state, set as a deploy at ``at`` would

    function = lambda_backends[ACCOUNT][session.region_name or "us-east-1"].get_function(name)
    function.last_modified = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


@contextmanager
def delete_attempts() -> Iterator[list[str]]:
    """The ServerCertificateName of every DeleteServerCertificate that any client of this process attempts, except
    a test's own seeding client (``Fake.iam``), in order: counted where the code makes the call, before any hook or
    fault answers it, so a delete IAM refused (DeleteConflict) or a test's fault answered still counts as tried."""
    attempted: list[str] = []
    client_class: Any = botocore.client.BaseClient
    original = client_class._make_api_call

    def recording(client: Any, operation_name: str, api_params: Any) -> Any:
        if operation_name == "DeleteServerCertificate" and not any(client is own for own in _SEED_IAM.values()):
            attempted.append(str(api_params.get("ServerCertificateName")))
        return original(client, operation_name, api_params)

    client_class._make_api_call = recording
    try:
        yield attempted
    finally:
        client_class._make_api_call = original


@contextmanager
def every_call() -> Iterator[Counter[str]]:
    """Count every AWS call any client of this process makes (``service.Operation``), whatever session made the
    client: the handler builds its own, which a hook on a test's session would not see."""
    counted: Counter[str] = Counter()
    client_class: Any = botocore.client.BaseClient
    original = client_class._make_api_call

    def counting(client: Any, operation_name: str, api_params: Any) -> Any:
        counted[f"{client.meta.service_model.service_name}.{operation_name}"] += 1
        return original(client, operation_name, api_params)

    client_class._make_api_call = counting
    try:
        yield counted
    finally:
        client_class._make_api_call = original


_LOADER = botocore.loaders.create_loader()


def new_session(region: str) -> boto3.Session:
    """A boto3 session whose service models come from one shared loader: read once per test process."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region)


# One session and one set of clients per home region and retry config, for the whole test process: building
# botocore clients is most of what a run costs in-process (about a second for the 60 of a full search).
# moto's state is per test (each mock_aws starts empty); the clients carry none. Hooks go through Fake.hook,
# which the end of every test removes.
_SHARED: dict[tuple[str, int], tuple[boto3.Session, AwsClients]] = {}
_SEED_IAM: dict[int, Any] = {}


def shared_account(region: str = "us-east-1", config: Config | None = FAST_RETRIES) -> tuple[boto3.Session, AwsClients]:
    key = (region, id(config))
    if key not in _SHARED:
        session = new_session(region)
        _SEED_IAM[id(session)] = session.client("iam", region_name=region)  # before any hook: never gets one
        _SHARED[key] = (session, AwsClients(session, config))
    return _SHARED[key]


def _seed_iam(session: boto3.Session) -> Any:
    if id(session) not in _SEED_IAM:
        _SEED_IAM[id(session)] = session.client("iam")
    return _SEED_IAM[id(session)]


@contextmanager
def fake_aws(config: Config | None = FAST_RETRIES, region: str = "us-east-1") -> Iterator[Fake]:
    aws_fakes.install()
    aws_fakes.reset()
    with mock_aws(), delete_attempts() as deletes:
        session, clients = shared_account(region, config)
        fake = Fake(session=session, clients=clients, deletes=deletes)
        try:
            yield fake
        finally:
            fake.heal()
    aws_fakes.reset()


@contextmanager
def new_execution_environment(*cached: Any) -> Iterator[None]:
    """What a new Lambda execution environment starts with: each ``functools.cache``'d function of an entry
    point (its settings, its clients) empty, before and after the test."""
    for function in cached:
        function.cache_clear()
    try:
        yield
    finally:
        for function in cached:
            function.cache_clear()


def documented_defaults(page: str, first_column: str) -> dict[str, str]:
    """``{key: default}`` of a docs/ table whose header starts ``| <first_column> | default |``, for the rows whose
    default is one literal value (`...`); rows that describe their default in words or as a pattern (`<org>`) are
    left out."""
    lines = (Path(__file__).resolve().parent.parent / "docs" / page).read_text().splitlines()
    start = lines.index(f"| {first_column} | default | meaning |")
    found = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        key, default = (cell.strip() for cell in line.strip("|").split("|")[:2])
        if re.fullmatch(r"`[^`]+`", key) and re.fullmatch(r"`[^`<]+`", default):
            found[key.strip("`")] = default.strip("`")
    return found


def as_documented(value: object, *, list_style: str) -> str:
    """A default as the docs write it: true/false, numbers, lists comma-separated (environment) or as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(map(str, value)) if list_style == "comma" else json.dumps(list(value))
    return str(value)
