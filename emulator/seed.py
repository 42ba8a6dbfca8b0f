"""A small believable account for the demo and the end-to-end tests."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from emulator.seed_certs import make_certificate

EXEMPT_TAG = "cert-cleanup:exempt"
FUNCTION_NAME = "cert-cleanup"


def scheduled_event(
    account: str = "123456789012", region: str = "us-east-1", time: str = "2026-11-27T06:00:00Z"
) -> dict[str, Any]:
    """An EventBridge schedule's event, field for field as EventBridge sends it to the function."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/CertCleanup-CleanupSchedule"],
        "detail": {},
    }


def deployed_function(session: boto3.Session, name: str = FUNCTION_NAME) -> str:
    """The function as a deploy leaves it (and its role), if not there yet; its ARN. Its LastModified is now."""
    lambda_ = session.client("lambda")
    try:
        return str(lambda_.get_function_configuration(FunctionName=name)["FunctionArn"])
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = session.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName=f"{name}-function", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("cert_cleanup/handler.py", "")
    created = lambda_.create_function(
        FunctionName=name,
        Runtime="python3.14",
        Role=role,
        Handler="cert_cleanup.handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(created["FunctionArn"])


@dataclass
class SeededAccount:
    """What was created, by role, so a test or the demo can say what should happen."""

    certificates: dict[str, str] = field(default_factory=dict)  # name -> ARN
    users: dict[str, str] = field(default_factory=dict)  # certificate name -> ARN of its user
    topic_arn: str = ""
    bucket: str = ""
    function_arn: str = ""


def upload(
    iam: Any, name: str, not_after: datetime, *, path: str = "/", tags: dict[str, str] | None = None
) -> dict[str, Any]:
    body, key = make_certificate(f"{name}.example.com", not_after=not_after)
    response = iam.upload_server_certificate(
        ServerCertificateName=name,
        CertificateBody=body,
        PrivateKey=key,
        Path=path,
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    metadata: dict[str, Any] = response["ServerCertificateMetadata"]
    return metadata


def alb_with_certificates(
    session: boto3.Session, region: str, name: str, default_arn: str, extra_arns: list[str]
) -> str:
    """An internet-facing ALB with an HTTPS listener: a default and additional (SNI) certificates."""
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for index, zone in enumerate(zones)
    ]
    balancer = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward: Any = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward)
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": default_arn}],
        DefaultActions=forward,
    )["Listeners"][0]
    if extra_arns:
        elbv2.add_listener_certificates(
            ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": arn} for arn in extra_arns]
        )
    return str(listener["ListenerArn"])


def classic_elb(session: boto3.Session, region: str, name: str, certificate_arn: str) -> str:
    elb = session.client("elb", region_name=region)
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 80,
                "SSLCertificateId": certificate_arn,
            }
        ],
        AvailabilityZones=[f"{region}a"],
    )
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    return f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}"


def cloudfront_distribution(
    session: boto3.Session, name: str, certificate_id: str, *, region: str = "us-east-1"
) -> str:
    """A distribution serving an IAM certificate; ``region`` picks the partition (cn-north-1: aws-cn)."""
    cloudfront = session.client("cloudfront", region_name=region)
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": name,
            "Comment": name,
            "Enabled": True,
            "Aliases": {"Quantity": 1, "Items": [f"{name}.example.com"]},
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "origin",
                        "DomainName": "origin.example.com",
                        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "origin",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
            },
            "ViewerCertificate": {
                "IAMCertificateId": certificate_id,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        }
    )["Distribution"]
    return str(distribution["ARN"])


def appsync_domain(session: boto3.Session, region: str, domain: str, certificate_arn: str) -> str:
    appsync = session.client("appsync", region_name=region)
    config = appsync.create_domain_name(domainName=domain, certificateArn=certificate_arn)["domainNameConfig"]
    return str(config["domainNameArn"])


def seed_demo_account(session: boto3.Session, now: datetime) -> SeededAccount:
    """Seven certificates, each showing one thing cert-cleanup must get right."""
    iam = session.client("iam", region_name="us-east-1")
    seeded = SeededAccount()
    day = timedelta(days=1)

    def add(name: str, not_after: datetime, **kwargs: Any) -> dict[str, Any]:
        metadata = upload(iam, name, not_after, **kwargs)
        seeded.certificates[name] = metadata["Arn"]
        return metadata

    add("intranet-2023", now - 40 * day)  # expired, unused: deleted
    shop_old = add("shop-eu-2025", now - 9 * day)  # expired, still an additional certificate: kept
    shop_new = add("shop-eu-2026", now + 300 * day)  # valid: the listener's default
    cdn = add("static-cdn-2025", now - 3 * day, path="/cloudfront/")  # expired, on CloudFront: kept
    add("partner-vpn-pinned", now - 120 * day, tags={EXEMPT_TAG: "true"})  # expired, exempt: kept
    api = add("api-prod-2026", now + 12 * day)  # expiring soon, on a Classic ELB
    graph = add("graphql-2027", now + 400 * day)  # valid, on an AppSync custom domain

    seeded.users["shop-eu-2025"] = alb_with_certificates(
        session, "eu-west-1", "shop-eu", shop_new["Arn"], [shop_old["Arn"]]
    )
    seeded.users["static-cdn-2025"] = cloudfront_distribution(session, "static-cdn", cdn["ServerCertificateId"])
    seeded.users["api-prod-2026"] = classic_elb(session, "us-east-1", "api-prod", api["Arn"])
    seeded.users["graphql-2027"] = appsync_domain(session, "ap-southeast-2", "graphql.example.com", graph["Arn"])

    seeded.topic_arn = session.client("sns", region_name="us-east-1").create_topic(Name="cert-cleanup")["TopicArn"]
    seeded.bucket = "cert-cleanup-archive-123456789012"
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=seeded.bucket)
    seeded.function_arn = deployed_function(session)  # just deployed: its first scheduled run tells people all
    return seeded
