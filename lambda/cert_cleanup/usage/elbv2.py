"""Application and Network Load Balancers: default *and* additional (SNI) listener certificates.

``DescribeListeners`` shows only a listener's default certificate, so every secure listener
(HTTPS, TLS) is also read with ``DescribeListenerCertificates``, which lists all of them.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

SERVICE = "elbv2"
PERMISSIONS = tuple(
    Permission(f"elasticloadbalancing:{operation}")
    for operation in ("DescribeLoadBalancers", "DescribeListeners", "DescribeListenerCertificates")
)
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
        balancers = every(client, "describe_load_balancers", itemgetter("LoadBalancers"), page_size=PAGE_SIZE)
        return [
            balancer["LoadBalancerArn"] for balancer in balancers if balancer.get("Type") not in NO_CERTIFICATE_TYPES
        ]

    return lookup(SERVICE, region, "DescribeLoadBalancers", fetch)


def _secure_listeners(client: ElasticLoadBalancingv2Client, region: str, balancer_arn: str) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        listeners = every(
            client, "describe_listeners", itemgetter("Listeners"), page_size=PAGE_SIZE, LoadBalancerArn=balancer_arn
        )
        return [dict(listener) for listener in listeners if listener["Protocol"] in SECURE_PROTOCOLS]

    return lookup(SERVICE, region, "DescribeListeners", fetch)


def _listener_uses(client: ElasticLoadBalancingv2Client, region: str, listener: dict[str, Any]) -> list[Use]:
    listener_arn = listener["ListenerArn"]

    def fetch() -> list[Use]:
        certificate_arns = [cert["CertificateArn"] for cert in listener.get("Certificates", [])]
        attached = every(
            client,
            "describe_listener_certificates",
            itemgetter("Certificates"),
            page_size=PAGE_SIZE,
            ListenerArn=listener_arn,
        )
        certificate_arns.extend(cert["CertificateArn"] for cert in attached)
        return [Use(SERVICE, region, listener_arn, certificate_arn=arn) for arn in dict.fromkeys(certificate_arns)]

    return lookup(SERVICE, region, "DescribeListenerCertificates", fetch)
