"""moto's server on 127.0.0.1 with the AWS-behaviour patches, run as its own process.

``python -m emulator.server`` binds a free port (or ``--port``), prints ``READY http://127.0.0.1:PORT``
and serves until terminated. Besides moto's own ``/moto-api/`` it answers:

- ``POST /emulator/settings`` (JSON): set :class:`emulator.aws_fakes.FakeSettings` knobs;
- ``POST /emulator/reset``: reset moto and the knobs;
- ``POST /emulator/latency`` (``{"ms": 25}``): add a fixed latency to every AWS call from now on;
- ``POST /emulator/throttle`` (``{"iam": {"rate": 10, "burst": 20}}``): token buckets per signing
  name (IAM's account-wide, as AWS's; ``{}`` turns them off); throttled calls answer ``Throttling``
  and are counted apart in ``GET /emulator/calls`` (``throttled``);
- ``GET /emulator/sns``: every message SNS recorded as published, per topic ARN;
- ``POST /emulator/securityhub-v2`` (``{"account", "region", "findings"}``): seed OCSF findings (AWS has no import
  API for them) and enable the new Security Hub there;
- ``GET /emulator/calls``: every AWS call counted by service, region and operation (each request, a retry
  included; ``sdk_calls``: each SDK call once, however many attempts it took), and the most calls seen in
  flight at once per service and region; ``POST /emulator/calls/reset`` clears them.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from emulator import aws_fakes, securityhub

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
REST_OPERATIONS = (
    ("cloudfront", "GET", re.compile(r"^/\d{4}-\d{2}-\d{2}/distribution/?$"), "ListDistributions"),
    ("cloudfront", "POST", re.compile(r"^/\d{4}-\d{2}-\d{2}/distribution/?$"), "CreateDistribution"),
    ("appsync", "GET", re.compile(r"^/v1/domainnames/?$"), "ListDomainNames"),
    ("appsync", "POST", re.compile(r"^/v1/domainnames/?$"), "CreateDomainName"),
    ("lambda", "GET", re.compile(r"^/2015-03-31/functions/[^/]+/configuration/?$"), "GetFunctionConfiguration"),
    ("securityhub", "POST", re.compile(r"^/findings/?$"), "GetFindings"),
    ("securityhub", "PATCH", re.compile(r"^/findings/batchupdate/?$"), "BatchUpdateFindings"),
    ("securityhub", "POST", re.compile(r"^/findings/import/?$"), "BatchImportFindings"),
    ("securityhub", "POST", re.compile(r"^/findingsv2/?$"), "GetFindingsV2"),
    ("securityhub", "GET", re.compile(r"^/hubv2/?$"), "DescribeSecurityHubV2"),
    ("securityhub", "PATCH", re.compile(r"^/findingsv2/batchupdatev2/?$"), "BatchUpdateFindingsV2"),
    ("s3", "PUT", re.compile(r"^/[^/]+/.+"), "PutObject"),
    ("s3", "GET", re.compile(r"^/[^/]+/.+"), "GetObject"),
)


ELBV2_VERSION = "2015-12-01"


GLOBAL_SERVICES = frozenset({"iam", "cloudfront"})  # one rate limit for the whole account
THROTTLE_XML = (
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>throttled</RequestId></ErrorResponse>"
)


class TokenBuckets:
    """AWS throttles each account with token buckets: ``rate`` calls per second refill a bucket of
    ``burst``; a call finding it empty is refused with ``Throttling`` (HTTP 400). IAM's (and
    CloudFront's) bucket is shared by the whole account, every other service's is per region.
    """

    def __init__(self) -> None:
        self.limits: dict[str, tuple[float, float]] = {}  # signing name -> (rate, burst)
        self.state: dict[tuple[str, str], tuple[float, float]] = {}  # bucket -> (tokens, last refill)
        self.lock = threading.Lock()

    def configure(self, limits: dict[str, dict[str, float]]) -> None:
        with self.lock:
            self.limits = {service: (float(v["rate"]), float(v["burst"])) for service, v in limits.items()}
            self.state.clear()

    def take(self, service: str, region: str) -> bool:
        """True when the call may go ahead; False when it is throttled."""
        with self.lock:
            limit = self.limits.get(service)
            if limit is None:
                return True
            rate, burst = limit
            key = (service, "account" if service in GLOBAL_SERVICES else region)
            now = time.monotonic()
            tokens, last = self.state.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1:
                self.state[key] = (tokens - 1, now)
                return True
            self.state[key] = (tokens, now)
            return False


class CallMeter:
    """Counts AWS calls and the most in flight at once, per service and region; adds latency; throttles."""

    def __init__(self, latency_ms: float = 0.0) -> None:
        self.latency_ms = latency_ms
        self.buckets = TokenBuckets()
        self.throttled: Counter[tuple[str, str, str]] = Counter()
        self.calls: Counter[tuple[str, str, str]] = Counter()
        # The SDK calls behind the requests: botocore sends one amz-sdk-invocation-id for every attempt of a call,
        # so a call retried (a connection reset in a burst, a lost answer) is one call here and two requests above.
        self.invocations: dict[tuple[str, str, str], set[str]] = {}
        self.in_flight: Counter[tuple[str, str]] = Counter()
        self.max_in_flight: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.cpu_since = time.process_time()

    def reset(self) -> None:
        with self.lock:
            self.cpu_since = time.process_time()
            self.calls.clear()
            self.invocations.clear()
            self.throttled.clear()
            self.in_flight.clear()
            self.max_in_flight.clear()

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": [[*key, count] for key, count in sorted(self.calls.items())],
                "throttled": [[*key, count] for key, count in sorted(self.throttled.items())],
                "sdk_calls": [[*key, len(ids)] for key, ids in sorted(self.invocations.items())],
                "max_in_flight": [[*key, count] for key, count in sorted(self.max_in_flight.items())],
                "latency_ms": self.latency_ms,
                "cpu_s": time.process_time() - self.cpu_since,  # the emulator's own CPU since the reset
            }

    def identify(self, environ: dict[str, Any]) -> tuple[str, str, str] | None:
        scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not scope:
            return None
        service, region = scope["service"], scope["region"]
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return service, region, target.rsplit(".", 1)[-1]
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        for rest_service, rest_method, pattern, operation in REST_OPERATIONS:
            if service == rest_service and method == rest_method and pattern.match(path):
                return service, region, operation
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = parse_qs(body.decode(errors="replace")) or parse_qs(environ.get("QUERY_STRING", ""))
        if service == "elasticloadbalancing" and params.get("Version") == [ELBV2_VERSION]:
            service = "elasticloadbalancingv2"  # v2 signs with the same service name; its API version differs
        action = params.get("Action")
        return service, region, action[0] if action else f"{method} {path}"

    def __call__(self, app: WsgiApp) -> WsgiApp:
        def metered(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            call = self.identify(environ)
            if call is None:
                return app(environ, start_response)
            key = (call[0], call[1])
            invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
            with self.lock:
                self.calls[call] += 1
                if invocation:
                    self.invocations.setdefault(call, set()).add(invocation)
                self.in_flight[key] += 1
                self.max_in_flight[key] = max(self.max_in_flight[key], self.in_flight[key])
            try:
                if self.latency_ms:
                    time.sleep(self.latency_ms / 1000)
                if not self.buckets.take(call[0], call[1]):
                    with self.lock:
                        self.throttled[call] += 1
                    start_response("400 Bad Request", [("Content-Type", "text/xml")])
                    return [THROTTLE_XML.encode()]
                return list(app(environ, start_response))
            finally:
                with self.lock:
                    self.in_flight[key] -= 1

        return metered


def control_middleware(app: WsgiApp, meter: CallMeter) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/emulator/latency" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            meter.latency_ms = float(json.loads(environ["wsgi.input"].read(length) or b"{}").get("ms", 0))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/emulator/calls":
            if environ.get("REQUEST_METHOD") == "POST":
                meter.reset()
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b"{}"]
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(meter.report()).encode()]
        if path == "/emulator/throttle" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            meter.buckets.configure(json.loads(environ["wsgi.input"].read(length) or b"{}"))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/emulator/settings" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
            for name, value in payload.items():
                if not hasattr(aws_fakes.SETTINGS, name):
                    start_response("400 Bad Request", [("Content-Type", "text/plain")])
                    return [f"unknown setting {name}".encode()]
                setattr(aws_fakes.SETTINGS, name, value)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/emulator/securityhub-v2" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
            securityhub.add_ocsf_findings(payload["account"], payload["region"], payload["findings"])
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/emulator/sns" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(_sent_notifications()).encode()]
        if path == "/emulator/reset" and environ.get("REQUEST_METHOD") == "POST":
            aws_fakes.reset()
            meter.buckets.configure({})
            return app({**environ, "PATH_INFO": "/moto-api/reset"}, start_response)
        return app(environ, start_response)

    return wrapped


def _sent_notifications() -> dict[str, list[dict[str, str | None]]]:
    """What moto recorded as published, per topic ARN (moto's own /moto-api/data.json cannot serialize every
    backend, a Lambda function's code among them)."""
    from moto.sns.models import sns_backends

    sent: dict[str, list[dict[str, str | None]]] = {}
    for account in sns_backends.values():
        for backend in account.values():
            for arn, topic in backend.topics.items():
                sent[arn] = [
                    {"message_id": item[0], "message": item[1], "subject": item[2]} for item in topic.sent_notifications
                ]
    return sent


def build_app(meter: CallMeter | None = None) -> WsgiApp:
    aws_fakes.install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    _remember_backends(DomainDispatcherApplication)
    meter = meter or CallMeter()
    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    return control_middleware(meter(app), meter)


def _remember_backends(dispatcher: Any) -> None:
    """Emulator speed only (no AWS behaviour): moto looks up the backend for a host by listing its
    modules and trying every service's URL pattern on every request; the answer never changes."""
    if getattr(dispatcher, "_cert_cleanup_memo", False):
        return
    lookup = dispatcher.get_backend_for_host
    known: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    dispatcher.get_backend_for_host = get_backend_for_host
    dispatcher._cert_cleanup_memo = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fixed latency added to every AWS call")
    args = parser.parse_args(argv)

    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """No access log: it costs the emulator CPU that the benchmark would count."""

    server = make_server(
        "127.0.0.1", args.port, build_app(CallMeter(args.latency_ms)), threaded=True, request_handler=QuietHandler
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
