"""The baseline: a plain, sequential implementation of the same job, kept to measure against.

One call after another, the same page sizes and the same decisions as cert-cleanup (expired past
grace, not exempt, no user found anywhere, every lookup complete), so that the benchmark compares
how the work is scheduled, not how much of it there is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from bench.scale import searches_appsync

CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})


def _client(session: boto3.Session, service: str, region: str | None = None) -> Any:
    """A client typed loosely: the baseline is plain code, not a second typed implementation."""
    return session.client(service, region_name=region, config=CONFIG)  # type: ignore[call-overload]


def run(
    *, dry_run: bool, topic_arn: str, bucket: str | None, exempt_tag_key: str = "cert-cleanup:exempt"
) -> dict[str, Any]:
    session = boto3.Session(region_name="us-east-1")
    iam = _client(session, "iam")
    now = datetime.now(UTC)

    certificates = [
        item
        for page in iam.get_paginator("list_server_certificates").paginate(PaginationConfig={"PageSize": 1000})
        for item in page["ServerCertificateMetadataList"]
    ]
    candidates = []
    for item in certificates:
        if item["Expiration"] > now:
            continue
        tags = {
            tag["Key"]: tag["Value"]
            for page in iam.get_paginator("list_server_certificate_tags").paginate(
                ServerCertificateName=item["ServerCertificateName"]
            )
            for tag in page["Tags"]
        }
        if tags.get(exempt_tag_key, "").lower() != "true":
            candidates.append(item)

    used_arns: set[str] = set()
    used_ids: set[str] = set()
    if candidates:
        regions = [r["RegionName"] for r in _client(session, "ec2").describe_regions()["Regions"]]
        for region in regions:
            elb = _client(session, "elb", region)
            for page in elb.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 400}):
                for balancer in page["LoadBalancerDescriptions"]:
                    for description in balancer["ListenerDescriptions"]:
                        if description["Listener"].get("SSLCertificateId"):
                            used_arns.add(description["Listener"]["SSLCertificateId"])
            elbv2 = _client(session, "elbv2", region)
            for v2_page in elbv2.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 400}):
                for balancer in v2_page["LoadBalancers"]:
                    listeners = elbv2.get_paginator("describe_listeners").paginate(
                        LoadBalancerArn=balancer["LoadBalancerArn"], PaginationConfig={"PageSize": 400}
                    )
                    for listener_page in listeners:
                        for listener in listener_page["Listeners"]:
                            if listener["Protocol"] not in ("HTTPS", "TLS"):
                                continue
                            for cert_page in elbv2.get_paginator("describe_listener_certificates").paginate(
                                ListenerArn=listener["ListenerArn"], PaginationConfig={"PageSize": 400}
                            ):
                                used_arns.update(cert["CertificateArn"] for cert in cert_page["Certificates"])
            if searches_appsync(session, region):
                appsync = _client(session, "appsync", region)
                for domain_page in appsync.get_paginator("list_domain_names").paginate(
                    PaginationConfig={"PageSize": 25}
                ):
                    used_arns.update(config["certificateArn"] for config in domain_page["domainNameConfigs"])
        cloudfront = _client(session, "cloudfront")
        distributions = cloudfront.get_paginator("list_distributions")
        for distribution_page in distributions.paginate(PaginationConfig={"PageSize": 1000}):
            for summary in distribution_page["DistributionList"].get("Items", []):
                if summary.get("ViewerCertificate", {}).get("IAMCertificateId"):
                    used_ids.add(summary["ViewerCertificate"]["IAMCertificateId"])

    unused = [c for c in candidates if c["Arn"] not in used_arns and c["ServerCertificateId"] not in used_ids]
    deleted = []
    if not dry_run:
        s3 = _client(session, "s3")
        for item in unused:
            name = item["ServerCertificateName"]
            if bucket:
                body = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["CertificateBody"]
                s3.put_object(Bucket=bucket, Key=f"baseline/{name}.json", Body=json.dumps({"body": body}).encode())
            iam.delete_server_certificate(ServerCertificateName=name)
            deleted.append(name)
    unused_names = sorted(c["ServerCertificateName"] for c in unused)
    report = {"certificates": len(certificates), "unused": unused_names}
    _client(session, "sns").publish(TopicArn=topic_arn, Message=json.dumps(report), Subject="baseline")
    return {"unused": unused_names, "deleted": deleted}
