"""Application and Network Load Balancers: default *and* additional (SNI) listener certificates.

``DescribeListeners`` shows only a listener's default certificate, so every secure listener
(HTTPS, TLS) is also read with ``DescribeListenerCertificates``, which lists all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import lookup
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

SERVICE = "elbv2"
REGIONAL = True
PAGE_SIZE = 400  # the maximum PageSize of all three operations
SECURE_PROTOCOLS = frozenset({"HTTPS", "TLS"})
NO_CERTIFICATE_TYPES = frozenset({"gateway"})  # Gateway Load Balancers have no TLS listeners


def find_uses(client: ElasticLoadBalancingv2Client, scope: Scope) -> list[Use]:
    balancers = _load_balancers(client, scope.region)
    listener_pages = scope.fan_out(lambda arn: _secure_listeners(client, scope.region, arn), balancers)
    listeners = [listener for page in listener_pages for listener in page]
    per_listener = scope.fan_out(lambda listener: _listener_uses(client, scope.region, listener), listeners)
    return [use for uses in per_listener for use in uses]


def _load_balancers(client: ElasticLoadBalancingv2Client, region: str) -> list[str]:
    def fetch() -> list[str]:
        arns = []
        paginator = client.get_paginator("describe_load_balancers")
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
            for balancer in page["LoadBalancers"]:
                if balancer.get("Type") not in NO_CERTIFICATE_TYPES:
                    arns.append(balancer["LoadBalancerArn"])
        return arns

    result: list[str] = lookup(SERVICE, region, "DescribeLoadBalancers", fetch)
    return result


def _secure_listeners(client: ElasticLoadBalancingv2Client, region: str, balancer_arn: str) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        listeners = []
        paginator = client.get_paginator("describe_listeners")
        for page in paginator.paginate(LoadBalancerArn=balancer_arn, PaginationConfig={"PageSize": PAGE_SIZE}):
            for listener in page["Listeners"]:
                if listener["Protocol"] in SECURE_PROTOCOLS:
                    listeners.append(dict(listener))
        return listeners

    result: list[dict[str, Any]] = lookup(SERVICE, region, "DescribeListeners", fetch)
    return result


def _listener_uses(client: ElasticLoadBalancingv2Client, region: str, listener: dict[str, Any]) -> list[Use]:
    listener_arn = listener["ListenerArn"]

    def fetch() -> list[Use]:
        certificate_arns = [cert["CertificateArn"] for cert in listener.get("Certificates", [])]
        paginator = client.get_paginator("describe_listener_certificates")
        for page in paginator.paginate(ListenerArn=listener_arn, PaginationConfig={"PageSize": PAGE_SIZE}):
            certificate_arns.extend(cert["CertificateArn"] for cert in page["Certificates"])
        return [Use(SERVICE, region, listener_arn, certificate_arn=arn) for arn in dict.fromkeys(certificate_arns)]

    result: list[Use] = lookup(SERVICE, region, "DescribeListenerCertificates", fetch)
    return result
