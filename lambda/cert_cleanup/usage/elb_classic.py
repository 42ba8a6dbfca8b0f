"""Classic Load Balancers: HTTPS/SSL listeners name the certificate ARN in ``SSLCertificateId``."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_elb import ElasticLoadBalancingClient

SERVICE = "elb"
PERMISSIONS = (Permission("elasticloadbalancing:DescribeLoadBalancers"),)
REGIONAL = True
PAGE_SIZE = 400  # DescribeLoadBalancers' maximum


def find_uses(client: ElasticLoadBalancingClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        uses = []
        balancers = every(
            client, "describe_load_balancers", itemgetter("LoadBalancerDescriptions"), page_size=PAGE_SIZE
        )
        for balancer in balancers:
            name = balancer["LoadBalancerName"]
            arn = f"arn:{scope.partition}:elasticloadbalancing:{scope.region}:{scope.account}:loadbalancer/{name}"
            for description in balancer["ListenerDescriptions"]:  # every Classic ELB has a listener
                certificate_arn = description["Listener"].get("SSLCertificateId")
                if certificate_arn:
                    uses.append(Use(SERVICE, scope.region, arn, certificate_arn=certificate_arn))
        return uses

    return lookup(SERVICE, scope.region, "DescribeLoadBalancers", fetch)
