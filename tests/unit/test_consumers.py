"""Each consumer finds the certificate's users, following every page, in the region it is given."""

from __future__ import annotations

import pytest

from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import Use
from cert_cleanup.usage import appsync, cloudfront, elb_classic, elbv2
from cert_cleanup.usage.scope import Scope
from emulator import seed
from tests.support import ACCOUNT, Fake

pytestmark = pytest.mark.safety

ACM_ARN = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0b6e7d3e-1111-2222-3333-444455556666"


def scope(region: str) -> Scope:
    return Scope(account=ACCOUNT, partition="aws", region=region)


def test_classic_elb_in_another_region_is_found_across_pages(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given three Classic ELBs in ap-south-1, one with the certificate, and a page size of 1
    monkeypatch.setattr(elb_classic, "PAGE_SIZE", 1)
    arn = aws.certificate("old", days=-10)["Arn"]
    other = aws.certificate("other", days=100)["Arn"]
    seed.classic_elb(aws.session, "ap-south-1", "lb-a", other)
    seed.classic_elb(aws.session, "ap-south-1", "lb-b", other)
    user = seed.classic_elb(aws.session, "ap-south-1", "lb-c", arn)
    aws.count_calls()

    # When searched there
    uses = elb_classic.find_uses(aws.clients.client("elb", "ap-south-1"), scope("ap-south-1"))

    # Then the third page's load balancer names the certificate
    assert {(use.user_arn, use.certificate_arn) for use in uses if use.certificate_arn == arn} == {(user, arn)}
    assert aws.calls[("elastic-load-balancing", "ap-south-1", "DescribeLoadBalancers")] == 3


def test_additional_listener_certificate_is_found_not_only_the_default(
    aws: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ALB whose HTTPS listener has a default and three additional certificates
    monkeypatch.setattr(elbv2, "PAGE_SIZE", 2)
    default = aws.certificate("default", days=200)["Arn"]
    extras = [aws.certificate(f"sni-{index}", days=-5)["Arn"] for index in range(3)]
    listener = seed.alb_with_certificates(aws.session, "eu-central-1", "shop", default, [*extras, ACM_ARN])
    aws.count_calls()

    # When searched
    uses = elbv2.find_uses(aws.clients.client("elbv2", "eu-central-1"), scope("eu-central-1"))

    # Then every certificate of the listener is found (read over several pages), the ACM one too
    assert {use.certificate_arn for use in uses} == {default, *extras, ACM_ARN}
    assert {use.user_arn for use in uses} == {listener}
    assert aws.calls[("elastic-load-balancing-v2", "eu-central-1", "DescribeListenerCertificates")] == 3


def test_only_secure_listeners_are_read_and_balancers_are_paged(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(elbv2, "PAGE_SIZE", 1)
    cert = aws.certificate("c", days=10)["Arn"]
    for name in ("a", "b", "c"):
        seed.alb_with_certificates(aws.session, "us-west-2", name, cert, [])
    aws.count_calls()

    uses = elbv2.find_uses(aws.clients.client("elbv2", "us-west-2"), scope("us-west-2"))

    assert len(uses) == 3
    assert aws.calls[("elastic-load-balancing-v2", "us-west-2", "DescribeLoadBalancers")] == 3
    # each balancer has an HTTP and an HTTPS listener: two pages of one listener each
    assert aws.calls[("elastic-load-balancing-v2", "us-west-2", "DescribeListeners")] == 6
    # only the HTTPS listeners are asked for their certificates
    assert aws.calls[("elastic-load-balancing-v2", "us-west-2", "DescribeListenerCertificates")] == 3


def test_cloudfront_distribution_is_matched_by_certificate_id_across_pages(
    aws: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudfront, "PAGE_SIZE", 1)
    certs = [aws.certificate(f"cdn-{index}", days=-1, path="/cloudfront/") for index in range(3)]
    arns = [
        seed.cloudfront_distribution(aws.session, f"d{index}", cert["ServerCertificateId"])
        for index, cert in enumerate(certs)
    ]
    aws.count_calls()

    uses = cloudfront.find_uses(aws.clients.client("cloudfront"), scope("us-east-1"))

    assert {(use.user_arn, use.certificate_id) for use in uses} == {
        (arn, cert["ServerCertificateId"]) for arn, cert in zip(arns, certs, strict=True)
    }
    assert aws.calls[("cloudfront", "us-east-1", "ListDistributions")] == 3


def test_cloudfront_with_no_distributions(aws: Fake) -> None:
    assert cloudfront.find_uses(aws.clients.client("cloudfront"), scope("us-east-1")) == []


def test_appsync_custom_domains_are_found_across_pages(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(appsync, "PAGE_SIZE", 2)
    arn = aws.certificate("graph", days=-1)["Arn"]
    users = [seed.appsync_domain(aws.session, "ap-northeast-1", f"api{index}.example.com", arn) for index in range(5)]
    seed.appsync_domain(aws.session, "ap-northeast-1", "acm.example.com", ACM_ARN)
    aws.count_calls()

    uses = appsync.find_uses(aws.clients.client("appsync", "ap-northeast-1"), scope("ap-northeast-1"))

    assert {use.user_arn for use in uses if use.certificate_arn == arn} == set(users)
    assert aws.calls[("appsync", "ap-northeast-1", "ListDomainNames")] == 3


@pytest.mark.parametrize(
    ("consumer", "service", "operation", "malformed"),
    [
        (elb_classic, "elb", "DescribeLoadBalancers", {"LoadBalancerDescriptions": [{"ListenerDescriptions": []}]}),
        (elbv2, "elbv2", "DescribeLoadBalancers", {"LoadBalancers": [{"Type": "application"}]}),
        (cloudfront, "cloudfront", "ListDistributions", {}),
        (appsync, "appsync", "ListDomainNames", {"domainNameConfigs": [{"certificateArn": "x"}]}),
        # A Classic ELB always has listeners, a distribution summary always has ViewerCertificate: an
        # answer without them is not understood, so it is a failed lookup (never "no use found")
        (elb_classic, "elb", "DescribeLoadBalancers", {"LoadBalancerDescriptions": [{"LoadBalancerName": "lb"}]}),
        (cloudfront, "cloudfront", "ListDistributions", {"DistributionList": {"Items": [{"ARN": "arn:d"}]}}),
        # A page without its list is not "nothing there" (a paginator's search() would read it so)
        (elb_classic, "elb", "DescribeLoadBalancers", {}),
        (elbv2, "elbv2", "DescribeLoadBalancers", {}),
        (appsync, "appsync", "ListDomainNames", {}),
    ],
)
def test_malformed_response_is_a_lookup_failure(
    aws: Fake, consumer: object, service: str, operation: str, malformed: dict[str, object]
) -> None:
    aws.respond(service, operation, malformed)
    with pytest.raises(LookupFailed) as raised:
        consumer.find_uses(aws.clients.client(service, "eu-west-1"), scope("eu-west-1"))  # type: ignore[attr-defined]
    failure = raised.value.failure  # says what failed where, for the summary's "Lookups that failed"
    assert (failure.service, failure.region, failure.operation, failure.code) == (
        service,
        "global" if service == "cloudfront" else "eu-west-1",  # CloudFront is global; the others where searched
        operation,
        "MalformedResponse",
    )


def test_each_use_names_its_service_region_and_user(aws: Fake) -> None:
    # Given one user of each kind, each in its own region (CloudFront is global)
    cert = aws.certificate("shared", days=-3)
    arn, cert_id = cert["Arn"], cert["ServerCertificateId"]
    classic = seed.classic_elb(aws.session, "ap-south-1", "classic", arn)
    listener = seed.alb_with_certificates(aws.session, "eu-central-1", "alb", arn, [])
    domain = seed.appsync_domain(aws.session, "ap-northeast-1", "api.example.com", arn)
    distribution = seed.cloudfront_distribution(aws.session, "cdn", cert_id)

    def found(consumer: object, region: str) -> list[Use]:
        client = aws.clients.client(consumer.SERVICE, region)  # type: ignore[attr-defined]
        return consumer.find_uses(client, scope(region))  # type: ignore[attr-defined, no-any-return]

    # Then each consumer reports exactly that use, labelled with its service and region
    assert found(elb_classic, "ap-south-1") == [Use("elb", "ap-south-1", classic, certificate_arn=arn)]
    assert found(elbv2, "eu-central-1") == [Use("elbv2", "eu-central-1", listener, certificate_arn=arn)]
    assert found(appsync, "ap-northeast-1") == [Use("appsync", "ap-northeast-1", domain, certificate_arn=arn)]
    assert found(cloudfront, "us-east-1") == [Use("cloudfront", "global", distribution, certificate_id=cert_id)]


@pytest.mark.parametrize(
    ("consumer", "service", "operation", "region", "label"),
    [
        (elb_classic, "elb", "DescribeLoadBalancers", "sa-east-1", "sa-east-1"),
        (elbv2, "elbv2", "DescribeLoadBalancers", "sa-east-1", "sa-east-1"),
        (elbv2, "elbv2", "DescribeListeners", "sa-east-1", "sa-east-1"),
        (elbv2, "elbv2", "DescribeListenerCertificates", "sa-east-1", "sa-east-1"),
        (appsync, "appsync", "ListDomainNames", "sa-east-1", "sa-east-1"),
        (cloudfront, "cloudfront", "ListDistributions", "us-east-1", "global"),
    ],
)
def test_a_failed_call_names_its_service_region_and_operation(
    aws: Fake, consumer: object, service: str, operation: str, region: str, label: str
) -> None:
    # Given a load balancer with a secure listener (so every ELBv2 call is made), and one call denied
    cert = aws.certificate("c", days=-3)["Arn"]
    seed.alb_with_certificates(aws.session, region, "alb", cert, [])
    aws.fail(service, operation, "AccessDenied", "not allowed")

    # When searched
    with pytest.raises(LookupFailed) as raised:
        consumer.find_uses(aws.clients.client(service, region), scope(region))  # type: ignore[attr-defined]

    # Then the failure says which call failed, where, and why: the summary names it
    failed = raised.value.failure
    assert (failed.service, failed.region, failed.operation, failed.code, failed.message) == (
        service,
        label,
        operation,
        "AccessDenied",
        "not allowed",
    )


def test_gateway_load_balancers_are_not_asked_for_listeners(aws: Fake) -> None:
    # Given a Gateway Load Balancer (GENEVE listeners only: it cannot serve a certificate) and an ALB
    cert = aws.certificate("c", days=-3)["Arn"]
    listener = seed.alb_with_certificates(aws.session, "us-west-2", "alb", cert, [])
    ec2 = aws.session.client("ec2", region_name="us-west-2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    aws.session.client("elbv2", region_name="us-west-2").create_load_balancer(
        Name="gwlb", Subnets=[subnet], Type="gateway"
    )
    aws.count_calls()

    uses = elbv2.find_uses(aws.clients.client("elbv2", "us-west-2"), scope("us-west-2"))

    # Then only the ALB's listeners are read
    assert [use.user_arn for use in uses] == [listener]
    assert aws.calls[("elastic-load-balancing-v2", "us-west-2", "DescribeListeners")] == 1


def test_appsync_domain_without_a_certificate_does_not_end_the_page(aws: Fake) -> None:
    # Given a page whose first domain has no certificateArn (the field is optional in the answer)
    arn = aws.certificate("graph", days=-1)["Arn"]
    aws.respond(
        "appsync",
        "ListDomainNames",
        {
            "domainNameConfigs": [
                {"domainName": "bare.example.com"},
                {"domainName": "api.example.com", "certificateArn": arn},
            ]
        },
    )

    uses = appsync.find_uses(aws.clients.client("appsync", "eu-west-1"), scope("eu-west-1"))

    # Then the next domain is still read, and its ARN is built the documented way when AWS omits it
    domain = f"arn:aws:appsync:eu-west-1:{ACCOUNT}:domainnames/api.example.com"
    assert uses == [Use("appsync", "eu-west-1", domain, certificate_arn=arn)]
