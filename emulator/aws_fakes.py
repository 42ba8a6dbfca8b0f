"""Patches that make moto behave like AWS where cert-cleanup depends on it.

Each patch's docstring says, in one line, which AWS behaviour it adds (the gaps are listed in
the project's AWS facts: moto 5.2.5 gives every server certificate the same id and fixed dates,
ignores paging and tags, never raises DeleteConflict, has no AppSync domain names and no AWS Config
StartConfigRulesEvaluation, matches SNS filter policies against messages without attributes, and writes a
Lambda function's LastModified in a form of its own).

DeleteConflict for a certificate a load balancer uses is IAM's safety net, not a promise (the
DeleteServerCertificate reference warns that ELB may not detect the deletion of a bound certificate), so it
is off unless asked for (``FakeSettings.refuse_bound_deletes``): the tests prove the usage search, not the net.

Call :func:`install` once per process before the mock or server starts; it is idempotent.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError
from cryptography import x509
from moto.acm.responses import AWSCertificateManagerResponse
from moto.appsync import urls as appsync_urls
from moto.appsync.responses import AppSyncResponse
from moto.awslambda.models import LambdaFunction
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.config.exceptions import InvalidParameterValueException, NoSuchConfigRuleException
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.routing import get_service_router
from moto.core.utils import unix_time
from moto.dynamodb.models import DynamoDBBackend
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.ec2.responses import EC2Response
from moto.elb.models import elb_backends
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, elbv2_backends
from moto.elbv2.responses import ELBV2Response
from moto.iam.exceptions import DeleteConflictException, MalformedCertificate, NotFoundException
from moto.iam.models import Certificate, IAMBackend
from moto.iam.responses import IamResponse
from moto.sns.utils import FilterPolicyMatcher
from moto.sqs.models import SQSBackend

from emulator import securityhub


@dataclass
class FakeSettings:
    """Knobs tests turn; :func:`reset` restores the defaults."""

    # IAM may return fewer items than MaxItems even when more exist: cap every page at this.
    iam_page_cap: int | None = None
    # Certificate name -> ARN of a resource IAM reports as using it (a user cert-cleanup cannot see).
    delete_conflicts: dict[str, str] = field(default_factory=dict)
    # IAM's safety net, off unless asked for: refuse (DeleteConflict) the delete of a certificate a Classic or v2
    # load balancer uses. AWS promises no such refusal (DeleteServerCertificate, IAM API Reference: "If Elastic
    # Load Balancing doesn't detect the deletion of bound certificates, it may continue to use the certificates"),
    # so by default a bound certificate is deleted, as AWS may: a test that keeps one proves the search found its
    # user, not that IAM refused. The demo turns it on; tests of the net itself ask for it.
    refuse_bound_deletes: bool = False
    # Every StartConfigRulesEvaluation accepted: (account, region, rule names).
    config_evaluations: list[tuple[str, str, list[str]]] = field(default_factory=list)
    # Opt-in regions the account has enabled (moto marks 14 regions of aws "not-opted-in").
    opted_in_regions: set[str] = field(default_factory=set)


SETTINGS = FakeSettings()
_installed: set[str] = set()
_lock = threading.Lock()
_sequence = itertools.count(1)
_iam_lock = threading.RLock()


def reset() -> None:
    SETTINGS.iam_page_cap = None
    SETTINGS.delete_conflicts.clear()
    SETTINGS.refuse_bound_deletes = False
    SETTINGS.config_evaluations.clear()
    SETTINGS.opted_in_regions.clear()


def install() -> None:
    """Apply every patch (idempotent)."""
    with _lock:
        if _installed:
            return
        _patch_iam()
        _patch_elbv2()
        _patch_appsync()
        _patch_ec2()
        _patch_config()
        _patch_sns()
        _patch_lambda()
        _patch_sqs()
        _patch_acm()
        _patch_swaps()
        _patch_dynamodb()
        securityhub.install()
        _build_rest_routers()
        _installed.add("all")


# The REST services this code calls (rest-json, rest-xml): moto matches their requests with routers it builds lazily.
REST_SERVICES = ("appsync", "cloudfront", "lambda", "securityhub", "s3")


def _build_rest_routers() -> None:
    """Build moto's REST routers once, here, before any run's threads. Not an AWS behaviour: moto builds each router
    on its first request, and not thread-safely (``moto.core.model.ServiceModel.operation_model`` and botocore's
    method it calls cache under one key, so a thread can read botocore's model, which has no ``http_trait``: a run
    whose first AppSync calls were concurrent failed its lookup with AttributeError under load)."""
    for service in REST_SERVICES:
        router = get_service_router(service)
        router._get_router(router._service_model.protocol)


# --- paging ---------------------------------------------------------------------------------


def _page(items: list[Any], marker: str | None, size: int | None) -> tuple[list[Any], str | None]:
    start = int(marker) if marker else 0
    size = size or len(items) or 1
    chunk = items[start : start + size]
    end = start + len(chunk)
    return chunk, (str(end) if end < len(items) else None)


# --- IAM ------------------------------------------------------------------------------------


def _certificate_facts(cert: Certificate) -> dict[str, Any]:
    facts: dict[str, Any] | None = getattr(cert, "fake_facts", None)
    if facts is None:
        facts = _derive_facts(cert)
        cert.fake_facts = facts  # type: ignore[attr-defined]
    return facts


def _derive_facts(cert: Certificate) -> dict[str, Any]:
    """IAM reads Expiration from the certificate body and gives each upload its own id."""
    try:
        parsed = x509.load_pem_x509_certificate(cert.cert_body.encode())
    except ValueError as exc:
        raise MalformedCertificate(cert.cert_name) from exc
    digest = hashlib.sha256(f"{cert.account_id}:{cert.cert_name}:{next(_sequence)}".encode()).digest()
    return {
        "id": "ASCA" + base64.b32encode(digest).decode()[:17],
        "expiration": parsed.not_valid_after_utc,
        "upload_date": datetime.now(UTC),
        "tags": {},
    }


def _metadata(cert: Certificate) -> dict[str, Any]:
    facts = _certificate_facts(cert)
    return {
        "ServerCertificateName": cert.cert_name,
        "Path": cert.path,
        "Arn": cert.arn,
        "UploadDate": facts["upload_date"],
        "ServerCertificateId": facts["id"],
        "Expiration": facts["expiration"],
    }


def _patch_iam() -> None:
    original_upload = IAMBackend.upload_server_certificate
    original_delete = IAMBackend.delete_server_certificate
    original_get = IAMBackend.get_server_certificate

    def upload_server_certificate(self: IAMBackend, *args: Any, **kwargs: Any) -> Certificate:
        """IAM rejects a body that is not a certificate and dates the upload from the body."""
        with _iam_lock:
            cert = original_upload(self, *args, **kwargs)
            try:
                _certificate_facts(cert)
            except MalformedCertificate:
                original_delete(self, cert.cert_name)
                raise
            return cert

    def delete_server_certificate(self: IAMBackend, name: str) -> None:
        """IAM may refuse (DeleteConflict) to delete a certificate in use, but need not: the API reference warns
        that ELB may not detect the deletion of a bound certificate and go on using it. So the refusal comes only
        when asked for (``SETTINGS.delete_conflicts``, ``SETTINGS.refuse_bound_deletes``); otherwise a bound
        certificate is deleted. Deletes atomically (moto's dict walk is not safe against a concurrent delete on
        its threaded server)."""
        with _iam_lock:
            cert = self.get_server_certificate(name)
            user = SETTINGS.delete_conflicts.get(name)
            if not user and SETTINGS.refuse_bound_deletes:
                user = _load_balancer_using(self.account_id, cert.arn)
            if user:
                raise DeleteConflictException(
                    f"Certificate: {_certificate_facts(cert)['id']} is currently in use by {user}. "
                    "Please remove it first before deleting it from IAM."
                )
            original_delete(self, name)

    def get_server_certificate(self: IAMBackend, name: str) -> Certificate:
        """GetServerCertificate sees a consistent set of certificates while others are deleted."""
        with _iam_lock:
            return original_get(self, name)

    IAMBackend.upload_server_certificate = upload_server_certificate  # type: ignore[method-assign]
    IAMBackend.delete_server_certificate = delete_server_certificate  # type: ignore[method-assign]
    IAMBackend.get_server_certificate = get_server_certificate  # type: ignore[method-assign]

    def upload(self: IamResponse) -> ActionResult:
        """UploadServerCertificate keeps the tags given at upload and returns the real metadata."""
        cert = self.backend.upload_server_certificate(
            self._get_param("ServerCertificateName"),
            self._get_param("CertificateBody"),
            self._get_param("PrivateKey"),
            cert_chain=self._get_param("CertificateChain"),
            path=self._get_param("Path"),
        )
        for tag in self._get_param("Tags", []) or []:
            _certificate_facts(cert)["tags"][tag["Key"]] = tag["Value"]
        return ActionResult({"ServerCertificateMetadata": _metadata(cert), "Tags": _tag_list(cert)})

    def list_certificates(self: IamResponse) -> ActionResult:
        """ListServerCertificates honours PathPrefix, MaxItems and Marker, and may return short pages."""
        prefix = self._get_param("PathPrefix") or "/"
        with _iam_lock:
            certs = [cert for cert in self.backend.list_server_certificates() if cert.path.startswith(prefix)]
        size = self._get_int_param("MaxItems", 100)
        if SETTINGS.iam_page_cap:
            size = min(size, SETTINGS.iam_page_cap)
        chunk, marker = _page(certs, self._get_param("Marker"), size)
        result: dict[str, Any] = {
            "ServerCertificateMetadataList": [_metadata(cert) for cert in chunk],
            "IsTruncated": marker is not None,
        }
        if marker:
            result["Marker"] = marker
        return ActionResult(result)

    def get_certificate(self: IamResponse) -> ActionResult:
        """GetServerCertificate returns the real metadata and the tags."""
        cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
        server_certificate: dict[str, Any] = {
            "ServerCertificateMetadata": _metadata(cert),
            "CertificateBody": cert.cert_body,
            "Tags": _tag_list(cert),
        }
        if cert.cert_chain:
            server_certificate["CertificateChain"] = cert.cert_chain
        return ActionResult({"ServerCertificate": server_certificate})

    def list_tags(self: IamResponse) -> ActionResult:
        """ListServerCertificateTags (not in moto) with MaxItems/Marker paging."""
        cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
        chunk, marker = _page(_tag_list(cert), self._get_param("Marker"), self._get_int_param("MaxItems", 100))
        result: dict[str, Any] = {"Tags": chunk, "IsTruncated": marker is not None}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)

    def tag(self: IamResponse) -> EmptyResult:
        """TagServerCertificate (not in moto)."""
        cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
        for item in self._get_param("Tags", []) or []:
            _certificate_facts(cert)["tags"][item["Key"]] = item["Value"]
        return EmptyResult()

    def untag(self: IamResponse) -> EmptyResult:
        """UntagServerCertificate (not in moto)."""
        cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
        for key in self._get_param("TagKeys", []) or []:
            _certificate_facts(cert)["tags"].pop(key, None)
        return EmptyResult()

    IamResponse.upload_server_certificate = upload  # type: ignore[method-assign]
    IamResponse.list_server_certificates = list_certificates  # type: ignore[method-assign]
    IamResponse.get_server_certificate = get_certificate  # type: ignore[method-assign]
    IamResponse.list_server_certificate_tags = list_tags  # type: ignore[attr-defined]
    IamResponse.tag_server_certificate = tag  # type: ignore[attr-defined]
    IamResponse.untag_server_certificate = untag  # type: ignore[attr-defined]


def _tag_list(cert: Certificate) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in _certificate_facts(cert)["tags"].items()]


def _load_balancer_using(account_id: str, certificate_arn: str) -> str | None:
    for classic in elb_backends[account_id].values():
        for balancer in classic.load_balancers.values():
            for listener in balancer.listeners:
                if listener.ssl_certificate_id == certificate_arn:
                    region = classic.region_name
                    return f"arn:aws:elasticloadbalancing:{region}:{account_id}:loadbalancer/{balancer.name}"
    for v2 in elbv2_backends[account_id].values():
        for v2_balancer in v2.load_balancers.values():
            for v2_listener in v2_balancer.listeners.values():
                if certificate_arn in v2_listener.certificates:
                    return str(v2_balancer.arn)
    return None


# --- ELBv2 ----------------------------------------------------------------------------------


class _DefaultCertificateOnly:
    """A listener as DescribeListeners shows it: every attribute, but only the default certificate."""

    def __init__(self, listener: Any) -> None:
        self._listener = listener

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)

    @property
    def certificates(self) -> list[str]:
        return list(self._listener.certificates[:1])


def _patch_elbv2() -> None:
    def describe_listeners(self: ELBV2Response) -> ActionResult:
        """DescribeListeners pages with PageSize/Marker/NextMarker and shows only the default certificate
        (AWS lists a listener's additional SNI certificates only through DescribeListenerCertificates)."""
        listeners = self.elbv2_backend.describe_listeners(
            self._get_param("LoadBalancerArn"), self._get_param("ListenerArns", [])
        )
        chunk, marker = _page(list(listeners), self._get_param("Marker"), self._get_int_param("PageSize", 400))
        return ActionResult({"Listeners": [_DefaultCertificateOnly(item) for item in chunk], "NextMarker": marker})

    def describe_listener_certificates(self: ELBV2Response) -> ActionResult:
        """DescribeListenerCertificates pages with PageSize/Marker/NextMarker."""
        arns = self.elbv2_backend.describe_listener_certificates(self._get_param("ListenerArn"))
        certificates = [{"CertificateArn": arn, "IsDefault": index == 0} for index, arn in enumerate(arns)]
        chunk, marker = _page(certificates, self._get_param("Marker"), self._get_int_param("PageSize", 400))
        return ActionResult({"Certificates": chunk, "NextMarker": marker})

    ELBV2Response.describe_listeners = describe_listeners  # type: ignore[method-assign]
    ELBV2Response.describe_listener_certificates = describe_listener_certificates  # type: ignore[method-assign]


# --- EC2 ------------------------------------------------------------------------------------


@functools.cache
def _partition(region: str) -> str | None:
    try:
        return _endpoint_data().get_partition_for_region(region)
    except BotoCoreError:
        return None


@functools.cache
def _endpoint_data() -> botocore.session.Session:
    """One botocore session for partition look-ups: each new session reloads botocore's data files."""
    return botocore.session.get_session()


def _patch_ec2() -> None:
    original = RegionsAndZonesBackend.describe_regions

    def describe_regions(self: RegionsAndZonesBackend, region_names: list[str] | None = None) -> list[Any]:
        """DescribeRegions lists the regions of the caller's own partition only (aws-cn: the two China regions)."""
        home = _partition(self.region_name)  # type: ignore[attr-defined]
        return [region for region in original(self, region_names) if _partition(region.name) == home]

    def describe_regions_response(self: EC2Response) -> ActionResult:
        """``AllRegions`` as AWS reads it: false (the default) lists only the regions enabled for the
        account; an opt-in region the account has not enabled appears only with ``AllRegions=true``,
        as ``not-opted-in``. moto lists every region whatever ``AllRegions`` says."""
        self.error_on_dryrun()
        regions = self.ec2_backend.describe_regions(self._get_param("RegionNames", []))
        if not self._get_bool_param("AllRegions", False):
            regions = [region for region in regions if _enabled(region)]
        return ActionResult({"Regions": [_OptedIn(region) if _enabled(region) else region for region in regions]})

    RegionsAndZonesBackend.describe_regions = describe_regions  # type: ignore[method-assign]
    EC2Response.describe_regions = describe_regions_response  # type: ignore[method-assign, assignment]


def _enabled(region: Any) -> bool:
    return region.opt_in_status != "not-opted-in" or region.name in SETTINGS.opted_in_regions


class _OptedIn:
    """A region as DescribeRegions shows it once the account has enabled it."""

    def __init__(self, region: Any) -> None:
        self._region = region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._region, name)

    @property
    def opt_in_status(self) -> str:
        return "opted-in" if self._region.opt_in_status == "not-opted-in" else str(self._region.opt_in_status)


# --- AppSync --------------------------------------------------------------------------------


class _DomainNotFound(JsonRESTError):
    code = 404

    def __init__(self, name: str) -> None:
        super().__init__("NotFoundException", f"Domain name {name} not found")


def _domains(response: AppSyncResponse) -> dict[str, dict[str, Any]]:
    backend = response.appsync_backend
    domains: dict[str, dict[str, Any]] = backend.__dict__.setdefault("fake_domain_names", {})
    return domains


def _patch_appsync() -> None:
    appsync_urls.url_paths.setdefault("{0}/v1/domainnames$", AppSyncResponse.dispatch)
    appsync_urls.url_paths.setdefault("{0}/v1/domainnames/(?P<domainName>[^/]+)$", AppSyncResponse.dispatch)

    def create_domain_name(self: AppSyncResponse) -> ActionResult:
        """CreateDomainName (not in moto): a custom domain with an ACM or IAM certificate ARN."""
        name = self._get_param("domainName")
        config = {
            "domainName": name,
            "description": self._get_param("description") or "",
            "certificateArn": self._get_param("certificateArn"),
            "appsyncDomainName": f"{hashlib.sha256(name.encode()).hexdigest()[:13]}.cloudfront.net",
            "hostedZoneId": "Z2FDTNDATAQYW2",
            "domainNameArn": f"arn:aws:appsync:{self.region}:{self.current_account}:domainnames/{name}",
        }
        _domains(self)[name] = config
        return ActionResult({"domainNameConfig": config})

    def list_domain_names(self: AppSyncResponse) -> ActionResult:
        """ListDomainNames (not in moto), paging with maxResults/nextToken."""
        items = list(_domains(self).values())
        chunk, token = _page(items, self._get_param("nextToken"), int(self._get_param("maxResults") or 25))
        result: dict[str, Any] = {"domainNameConfigs": chunk}
        if token:
            result["nextToken"] = token
        return ActionResult(result)

    def get_domain_name(self: AppSyncResponse) -> ActionResult:
        """GetDomainName (not in moto)."""
        name = self._get_param("domainName")
        if name not in _domains(self):
            raise _DomainNotFound(name)
        return ActionResult({"domainNameConfig": _domains(self)[name]})

    def delete_domain_name(self: AppSyncResponse) -> EmptyResult:
        """DeleteDomainName (not in moto)."""
        name = self._get_param("domainName")
        if _domains(self).pop(name, None) is None:
            raise _DomainNotFound(name)
        return EmptyResult()

    AppSyncResponse.create_domain_name = create_domain_name  # type: ignore[attr-defined]
    AppSyncResponse.list_domain_names = list_domain_names  # type: ignore[attr-defined]
    AppSyncResponse.get_domain_name = get_domain_name  # type: ignore[attr-defined]
    AppSyncResponse.delete_domain_name = delete_domain_name  # type: ignore[attr-defined]


__all__ = ["SETTINGS", "FakeSettings", "NotFoundException", "install", "reset"]


# --- AWS Config -------------------------------------------------------------------------------


def _patch_config() -> None:
    def start_config_rules_evaluation(self: ConfigResponse) -> str:
        """StartConfigRulesEvaluation (absent from moto): 1 to 25 existing rule names, else AWS's errors."""
        rule_names = self._get_param("ConfigRuleNames") or []
        if not 1 <= len(rule_names) <= 25:
            raise InvalidParameterValueException("ConfigRuleNames must hold 1 to 25 rule names")
        backend = self.config_backend
        for name in rule_names:
            if name not in backend.config_rules:
                raise NoSuchConfigRuleException(name)
        SETTINGS.config_evaluations.append((backend.account_id, backend.region_name, list(rule_names)))
        return "{}"

    ConfigResponse.start_config_rules_evaluation = start_config_rules_evaluation  # type: ignore[attr-defined]


# --- SNS ------------------------------------------------------------------------------------


def _patch_sns() -> None:
    original = FilterPolicyMatcher.matches

    def matches(self: FilterPolicyMatcher, message_attributes: dict[str, Any] | None, message: str) -> bool:
        """A MessageAttributes-scoped filter policy never matches a message without attributes (SNS Developer
        Guide, key matching: ``exists: false`` "only matches if at least one attribute is present. An empty set
        of attributes results in the filter not matching"; a value match needs its attribute). moto matched
        ``exists: false`` against such a message (a CloudWatch alarm notification carries no attribute)."""
        if self.filter_policy and self.filter_policy_scope == "MessageAttributes" and not message_attributes:
            return False
        return bool(original(self, message_attributes, message))

    FilterPolicyMatcher.matches = matches  # type: ignore[method-assign]


# --- Lambda ---------------------------------------------------------------------------------


def _patch_lambda() -> None:
    original = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        """A function's LastModified as the Lambda API reference shows it, milliseconds and a +0000 offset
        (``2019-08-14T22:26:11.234+0000``); moto writes nanoseconds and ``Z``."""
        configuration: dict[str, Any] = original(self, on_create)
        moment = datetime.strptime(str(configuration["LastModified"])[:26], "%Y-%m-%dT%H:%M:%S.%f")
        configuration["LastModified"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
        return configuration

    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


# --- SQS ------------------------------------------------------------------------------------


def _patch_dynamodb() -> None:
    """DynamoDB writes an item's conditional update atomically: the ConditionExpression is evaluated and the
    write made as one (DynamoDB Developer Guide, "Condition expressions": a conditional write succeeds only if the
    item's attributes meet the condition when it is written). moto's server checks and then writes, unlocked, so
    two processes that took the run lease in the same millisecond could both succeed (two runs at once, seen in
    tests/e2e/test_runs_meet.py). Each table's writes and reads here are serialized, as AWS serializes each item's."""
    lock = threading.RLock()

    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return one_at_a_time

    for name in ("put_item", "get_item", "update_item", "delete_item"):
        setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))


def _patch_sqs() -> None:
    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        """moto's own rule, unchanged (a message older than the queue's MessageRetentionPeriod is gone: SQS
        Developer Guide, "Amazon SQS message quotas"), read from the queue itself. moto read it through
        GetQueueAttributes, which computes every attribute, three of them by scanning every queued message, for
        each message it returns: one ReceiveMessage took seconds at 1,000 queued messages, and an organization's
        digest at 5,000 accounts took hours. Adds no AWS behaviour: it makes the emulator usable at that scale."""
        queue = self.get_queue(queue_name)
        retain_until = int(getattr(queue, "message_retention_period")) + message.sent_timestamp / 1000  # noqa: B009 (set by moto from the attribute name)
        return bool(retain_until > unix_time())

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]


# --- ACM and the certificate swaps (cert-cleanup replace) ----------------------------------------------------------

# ListCertificates' default key types: "Default filtering returns only RSA_1024 and RSA_2048 certificates" (ACM API
# reference, Filters, keyTypes).
ACM_DEFAULT_KEY_TYPES = ("RSA_1024", "RSA_2048")
ACM_SUMMARY_NAMES = 100  # "ListCertificates ... will only return the first 100 subject alternative names"


def _patch_acm() -> None:
    def list_certificates(self: AWSCertificateManagerResponse) -> ActionResult:
        """ListCertificates as its API reference describes it: CertificateSummary items with
        SubjectAlternativeNameSummaries (the first 100) and HasAdditionalSubjectAlternativeNames, only RSA_1024 and
        RSA_2048 keys unless Includes.keyTypes names others, and pages of MaxItems with NextToken (moto gives every
        key type, DescribeCertificate's shape and one page)."""
        includes = dict(self._get_param("Includes") or {})
        includes.setdefault("keyTypes", list(ACM_DEFAULT_KEY_TYPES))
        summaries = []
        for bundle in self.acm_backend.list_certificates(self._get_param("CertificateStatuses") or [], includes):
            described = bundle.describe()["Certificate"]
            names = list(dict.fromkeys([described["DomainName"], *described["SubjectAlternativeNames"]]))
            summary = {
                key: described[key]
                for key in ("CertificateArn", "DomainName", "Status", "Type", "KeyAlgorithm", "NotBefore", "NotAfter")
                if key in described
            }
            summary["SubjectAlternativeNameSummaries"] = names[:ACM_SUMMARY_NAMES]
            summary["HasAdditionalSubjectAlternativeNames"] = len(names) > ACM_SUMMARY_NAMES
            summary["InUse"] = bool(described.get("InUseBy"))
            summaries.append(summary)
        chunk, token = _page(summaries, self._get_param("NextToken"), self._get_int_param("MaxItems"))
        return ActionResult({"CertificateSummaryList": chunk, **({"NextToken": token} if token else {})})

    AWSCertificateManagerResponse.list_certificates = list_certificates  # type: ignore[method-assign]


class _PreconditionFailed(CloudFrontException):
    """HTTP 412, from CloudFront's error model."""

    def __init__(self) -> None:
        super().__init__("PreconditionFailed", "The If-Match version is not the distribution's current ETag.")


def _patch_swaps() -> None:
    original_update = CloudFrontBackend.update_distribution

    def update_distribution(
        self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: str
    ) -> tuple[Any, str, str]:
        """UpdateDistribution refuses an IfMatch that is not the distribution's current ETag (PreconditionFailed,
        CloudFront API reference, UpdateDistribution errors), and each update gives the distribution a new ETag
        (moto accepts any value and keeps one ETag for ever)."""
        current = self.distributions.get(_id)
        if current is not None and if_match and if_match != current.etag:
            raise _PreconditionFailed()
        dist, location, _etag = original_update(self, dist_config, _id, bool(if_match))
        dist.etag = hashlib.sha256(f"{_id}:{next(_sequence)}".encode()).hexdigest()[:14].upper()
        return dist, location, dist.etag

    CloudFrontBackend.update_distribution = update_distribution  # type: ignore[method-assign,assignment]
    _ = CloudFrontResponse  # the response passes IfMatch through as given

    original_modify = ELBv2Backend.modify_listener

    def modify_listener(self: ELBv2Backend, arn: str, *args: Any, **kwargs: Any) -> Any:
        """ModifyListener's Certificates replace the default certificate only; the listener's additional (SNI)
        certificates stay (ELBv2 API reference, ModifyListener: "The default certificate for the listener"; moto
        replaced the whole list). They do so on a TLS listener (a Network Load Balancer's) as on an HTTPS one
        (the reference: "[HTTPS and TLS listeners] The default certificate"; moto changed HTTPS listeners only)."""
        [listener] = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])
        additional = list(listener.certificates[1:])
        certificates = kwargs.get("certificates") or (args[3] if len(args) > 3 else None)
        default = certificates[0]["CertificateArn"] if certificates else None
        tls = listener.protocol == "TLS" and kwargs.get("protocol") in (None, "TLS")
        if tls and default and not self._certificate_exists(certificate_arn=default):
            raise ELBClientError("CertificateNotFound", f"Certificate {default} not found")
        modified = original_modify(self, arn, *args, **kwargs)
        if tls and default:
            modified.certificate = default
            modified.certificates = [default, *additional]
        elif certificates:
            modified.certificates = [modified.certificates[0], *additional]
        return modified

    ELBv2Backend.modify_listener = modify_listener  # type: ignore[method-assign]
