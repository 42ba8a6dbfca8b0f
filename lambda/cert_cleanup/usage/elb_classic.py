"""Classic Load Balancers: HTTPS/SSL listeners name the certificate ARN in ``SSLCertificateId``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import lookup
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_elb import ElasticLoadBalancingClient

SERVICE = "elb"
REGIONAL = True
PAGE_SIZE = 400  # DescribeLoadBalancers' maximum


def find_uses(client: ElasticLoadBalancingClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        uses = []
        paginator = client.get_paginator("describe_load_balancers")
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
            for balancer in page["LoadBalancerDescriptions"]:
                name = balancer["LoadBalancerName"]
                arn = f"arn:{scope.partition}:elasticloadbalancing:{scope.region}:{scope.account}:loadbalancer/{name}"
                for description in balancer["ListenerDescriptions"]:  # every Classic ELB has a listener
                    certificate_arn = description["Listener"].get("SSLCertificateId")
                    if certificate_arn:
                        uses.append(Use(SERVICE, scope.region, arn, certificate_arn=certificate_arn))
        return uses

    result: list[Use] = lookup(SERVICE, scope.region, "DescribeLoadBalancers", fetch)
    return result
