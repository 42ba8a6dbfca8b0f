"""The successor of an expired certificate in use: the coverage rules (pure), and a run naming it (moto in-process)
in the email, the chat post, the JSON and the Security Hub note; ACM unreadable is a warning that blocks nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from cert_cleanup import run
from cert_cleanup.aws.securityhub import NOTE_MAX
from cert_cleanup.config.settings import Settings
from cert_cleanup.models import Action, RunResult, Successor
from cert_cleanup.notify import message
from cert_cleanup.successor import ACM, IAM, Candidate, Site, choose, covers, read_body, use_of
from emulator import seed, seed_certs
from tests.support import ACCOUNT, Fake

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LATER = NOW + timedelta(days=300)
ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2"
SITE = Site(ALB, "elbv2", "eu-west-1")


def _acm(arn: str, *names: str, region: str = "eu-west-1", days: int = 300, key: str = "RSA_2048") -> Candidate:
    return Candidate(f"arn:aws:acm:{region}:1:certificate/{arn}", ACM, names, NOW + timedelta(days=days), region, key)


def _iam(arn: str, *names: str, days: int = 300, path: str = "/", key: str = "RSA_2048") -> Candidate:
    return Candidate(
        f"arn:aws:iam::1:server-certificate{path}{arn}", IAM, names, NOW + timedelta(days=days), "global", key, path
    )


# --- coverage, as TLS matches names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "name", "covered"),
    [
        ("www.example.com", "www.example.com", True),
        ("WWW.Example.com.", "www.example.com", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),  # a wildcard needs its one label
        ("*.example.com", "a.b.example.com", False),  # and covers one label only
        ("*.example.com", "*.example.com", True),
        ("www.example.com", "*.example.com", False),  # a wildcard name needs the same wildcard
        ("*.b.example.com", "*.example.com", False),
        ("*.example.com", "wwwexample.com", False),
        ("example.com", "www.example.com", False),
    ],
)
def test_a_wildcard_covers_exactly_one_label(pattern: str, name: str, covered: bool) -> None:
    assert covers(pattern, name) is covered


def test_a_candidate_that_leaves_a_name_uncovered_is_never_named_and_the_name_is_shown() -> None:
    needed = ("shop.example.com", "a.b.example.com")
    partial = _acm("wild", "*.example.com", "shop.example.com")

    successor = choose(needed, [partial], SITE, NOW)

    assert successor.arn is None
    assert successor.closest == partial.arn
    assert successor.missing == ("a.b.example.com",)
    assert successor.text() == (
        "no certificate covers shop.example.com, a.b.example.com: request one in ACM or import one "
        f"(closest: {partial.arn}, which does not cover a.b.example.com)"
    )


def test_acm_is_preferred_then_the_latest_expiry() -> None:
    needed = ("shop.example.com",)
    iam_late = _iam("late", "shop.example.com", days=900)
    acm_soon = _acm("soon", "shop.example.com", days=30)
    acm_late = _acm("late", "*.example.com", days=400)

    assert choose(needed, [iam_late, acm_soon, acm_late], SITE, NOW).arn == acm_late.arn
    assert choose(needed, [iam_late, acm_soon], SITE, NOW).arn == acm_soon.arn
    assert choose(needed, [iam_late, _iam("early", "shop.example.com", days=10)], SITE, NOW).arn == iam_late.arn


def test_a_successor_in_another_region_or_expired_or_not_issued_is_not_named() -> None:
    needed = ("shop.example.com",)
    elsewhere = _acm("far", "shop.example.com", region="us-east-1")
    expired = _acm("old", "shop.example.com", days=-1)

    successor = choose(needed, [elsewhere, expired], SITE, NOW)

    assert successor.arn is None
    assert successor.closest is None
    assert successor.text() == "no certificate covers shop.example.com: request one in ACM or import one"


def test_cloudfront_takes_acm_from_us_east_1_and_iam_certificates_under_cloudfront_path() -> None:
    distribution = use_of("arn:aws:cloudfront::123456789012:distribution/E1", "cloudfront", "aws")
    china = use_of("arn:aws-cn:cloudfront::123456789012:distribution/E1", "cloudfront", "aws-cn")
    assert distribution == Site("arn:aws:cloudfront::123456789012:distribution/E1", "cloudfront", "us-east-1")
    assert china is not None
    assert china.region == "cn-north-1"
    assert use_of("arn:aws-us-gov:cloudfront::1:distribution/E1", "cloudfront", "aws-us-gov") is None
    needed = ("cdn.example.com",)
    plain = _iam("plain", "cdn.example.com")
    under = _iam("cdn", "cdn.example.com", path="/cloudfront/", days=10)
    p384 = _acm("p384", "cdn.example.com", region="us-east-1", key="EC_secp384r1")  # CloudFront: not this key

    assert choose(needed, [plain, under, p384], distribution, NOW).arn == under.arn
    assert choose(needed, [plain], distribution, NOW).arn is None


def test_a_classic_load_balancer_is_never_offered_an_ecdsa_certificate() -> None:
    classic = Site("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/legacy", "elb", "eu-west-1")
    ecdsa = _acm("ec", "shop.example.com", key="EC_prime256v1")
    assert choose(("shop.example.com",), [ecdsa], classic, NOW).arn is None
    assert choose(("shop.example.com",), [ecdsa], SITE, NOW).arn == ecdsa.arn


def test_the_names_come_from_the_subject_and_its_alternative_names() -> None:
    body, _ = seed_certs.make_certificate("Shop.Example.com", not_after=LATER, names=("*.shop.example.com", "x.org."))
    read = read_body(body)
    assert read.names == ("shop.example.com", "*.shop.example.com", "x.org")
    assert read.key_algorithm == "EC_prime256v1"
    with pytest.raises(ValueError, match="PEM"):
        read_body("not a certificate")


# --- a run names it ------------------------------------------------------------------------------------------------

REGION = "eu-west-1"
NAMES = ("www.shop.example.com", "api.shop.example.com")


def _run(aws: Fake, *, dry_run: bool = True) -> RunResult:
    options = run.RunOptions.create(ACCOUNT, dry_run=dry_run, run_id="r1")
    return run.cleanup(Settings.build(), aws.clients, options)


def _in_use(result: RunResult) -> list[Successor]:
    [row] = [row for row in result.certificates if row.action is Action.IN_USE]
    return list(row.successors)


@pytest.fixture
def incident(aws: Fake) -> Fake:
    """An expired certificate serving two names, used by an ALB (as an additional certificate) and a Classic ELB
    in eu-west-1; an expired unused one; a valid IAM certificate for other names."""
    used = aws.certificate("shop", days=-3, names=NAMES, key_type="rsa")["Arn"]
    other = aws.certificate("other", days=100)["Arn"]
    aws.certificate("gone", days=-40)
    seed.alb_with_certificates(aws.session, REGION, "shop", other, [used])
    seed.classic_elb(aws.session, REGION, "legacy", used)
    return aws


def test_a_run_names_the_acm_certificate_of_the_region_covering_every_name(incident: Fake) -> None:
    acm = incident.session.client("acm", region_name=REGION)
    wildcard = seed_certs.import_to_acm(
        acm, ("*.shop.example.com", "shop.example.com"), not_after=incident.now + timedelta(days=200)
    )
    # The same names in us-east-1: the wrong region for a load balancer of eu-west-1
    seed_certs.import_to_acm(
        incident.session.client("acm", region_name="us-east-1"),
        ("*.shop.example.com",),
        not_after=incident.now + timedelta(days=900),
    )

    successors = _in_use(_run(incident))

    assert {s.used_by.split(":")[5].split("/")[0] for s in successors} == {"listener", "loadbalancer"}
    for successor in successors:
        assert successor.arn == wildcard
        assert successor.region == REGION
        assert successor.names == ("shop.example.com", *NAMES)
        assert successor.text().startswith(f"replace with {wildcard} (valid until ")


def test_a_wildcard_one_label_short_is_not_named_and_the_names_it_misses_are_shown(incident: Fake) -> None:
    acm = incident.session.client("acm", region_name=REGION)
    later = incident.now + timedelta(days=200)
    # *.example.com covers shop.example.com, never www.shop.example.com nor api.shop.example.com (two labels)
    short = seed_certs.import_to_acm(acm, ("*.example.com", "shop.example.com"), not_after=later)
    seed_certs.import_to_acm(acm, ("www.example.org",), not_after=later)  # covers none of them

    successors = _in_use(_run(incident))

    assert len(successors) == 2
    for successor in successors:
        assert successor.arn is None
        assert successor.closest == short
        assert successor.missing == NAMES


def test_an_ecdsa_acm_certificate_is_listed_too_for_an_alb(incident: Fake) -> None:
    """ListCertificates lists RSA_1024 and RSA_2048 only, unless Includes.keyTypes names the others."""
    acm = incident.session.client("acm", region_name=REGION)
    ecdsa = seed_certs.import_to_acm(
        acm, ("*.shop.example.com", "shop.example.com"), not_after=incident.now + timedelta(days=200), key="ec"
    )
    assert acm.list_certificates()["CertificateSummaryList"] == []  # the API's default filter

    by_kind = {s.used_by.split(":")[5].split("/")[0]: s for s in _in_use(_run(incident))}

    assert by_kind["listener"].arn == ecdsa
    assert by_kind["loadbalancer"].arn is None  # a Classic Load Balancer serves RSA only


def test_the_successor_shows_in_the_email_chat_json_and_note(incident: Fake) -> None:
    acm = incident.session.client("acm", region_name=REGION)
    wildcard = seed_certs.import_to_acm(
        acm, ("*.shop.example.com", "shop.example.com"), not_after=incident.now + timedelta(days=200)
    )

    result = _run(incident)

    text = message.email_text(result)
    assert f"successor: replace with {wildcard}" in text
    chat = json.dumps(message.chat_notification(result))
    assert f"replace with {wildcard}" in chat
    note = message.finding_note(result)
    assert f"replace with {wildcard}" in note
    assert len(note) <= NOTE_MAX
    document = json.loads(json.dumps(result.as_dict()))
    [row] = [row for row in document["certificates"] if row["action"] == "in_use"]
    assert {entry["arn"] for entry in row["successors"]} == {wildcard}
    assert RunResult.from_dict(document).as_dict() == document


def test_acm_denied_is_a_warning_and_the_unused_certificate_is_still_deleted(incident: Fake) -> None:
    incident.fail("acm", "ListCertificates", "AccessDeniedException", "not authorized", region=REGION)

    result = _run(incident, dry_run=False)

    actions = {row.certificate.name: row.action for row in result.certificates}
    assert actions == {"shop": Action.IN_USE, "other": Action.VALID, "gone": Action.DELETED}
    assert result.errors == []
    assert not result.failed
    assert any("ACM could not be read in eu-west-1 (AccessDeniedException" in warning for warning in result.warnings)
    for successor in _in_use(result):
        assert successor.arn is None
        assert successor.text() == "no successor named: ACM could not be read in eu-west-1 (AccessDeniedException)"


def test_a_run_without_a_certificate_in_use_neither_calls_acm_nor_loads_the_x509_library(
    aws: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.certificate("gone", days=-40)
    aws.count_calls()
    monkeypatch.delitem(sys.modules, "cryptography.x509")  # the emulator loaded it; put back after the test

    _run(aws)

    assert aws.calls_to("acm") == 0
    assert "cryptography.x509" not in sys.modules


def test_the_function_loads_no_x509_library_at_its_cold_start() -> None:
    code = "import sys, cert_cleanup.handler; print(sorted(m for m in sys.modules if m.startswith('cryptography')))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["lambda", *sys.path])}
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert completed.stdout.strip() == "[]"
