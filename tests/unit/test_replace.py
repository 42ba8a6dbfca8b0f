"""cert-cleanup replace: each consumer's swap and its undo, the record written before each change, a listener that
changed between the plan and the swap, a successor that does not cover every name, the dry run, the question, and
the first failure stopping the rest (moto in-process, through the command line)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cert_cleanup_cli import accounts
from cert_cleanup_cli import commands as cli
from cert_cleanup_cli import replace as replacing
from emulator import seed, seed_certs
from tests.support import Fake

runner = CliRunner()
REGION = "eu-west-1"
NAMES = ("www.shop.example.com",)


@pytest.fixture
def cli_account(aws: Fake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fake:
    monkeypatch.setattr(accounts, "AwsClients", lambda session=None: aws.clients)
    monkeypatch.setattr(cli, "AwsClients", lambda session=None: aws.clients)
    monkeypatch.setattr(cli, "can_ask", lambda: True)
    monkeypatch.chdir(tmp_path)
    return aws


def _replace(*arguments: str, answer: str = "y\n", **kwargs: Any) -> Any:
    return runner.invoke(cli.app, ["replace", *arguments], input=answer, **kwargs)


def _said(outcome: Any) -> str:
    return " ".join(outcome.output.split())


def _acm(aws: Fake, names: tuple[str, ...], *, region: str = REGION, key: str = "rsa", days: int = 200) -> str:
    acm = aws.session.client("acm", region_name=region)
    return seed_certs.import_to_acm(acm, names, not_after=aws.now + timedelta(days=days), key=key)


def _listener_certificates(aws: Fake, listener: str) -> list[tuple[str, bool]]:
    elbv2 = aws.session.client("elbv2", region_name=REGION)
    return sorted(
        (cert["CertificateArn"], cert["IsDefault"])
        for cert in elbv2.describe_listener_certificates(ListenerArn=listener)["Certificates"]
    )


def _record(tmp: Path) -> tuple[Path, dict[str, Any]]:
    [path] = list(tmp.glob("cert-cleanup-replace-*.json"))
    return path, json.loads(path.read_text())


# --- each consumer's swap and its undo -------------------------------------------------------------------------------


def test_an_additional_alb_certificate_is_swapped_new_first_then_undone(cli_account: Fake, tmp_path: Path) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    default = aws.certificate("main", days=300)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", default, [old])
    new = _acm(aws, ("shop.example.com", *NAMES), key="ec")

    outcome = _replace("--yes")

    assert outcome.exit_code == 0, outcome.output
    assert f"replaced {old} with {new}" in _said(outcome)
    assert _listener_certificates(aws, listener) == sorted([(default, True), (new, False)])
    path, record = _record(tmp_path)
    assert [(change["kind"], change["state"]) for change in record["changes"]] == [("elbv2-sni", "done")]

    undone = _replace("--undo", str(path), "--yes", "--record", "undo.json")

    assert undone.exit_code == cli.ExitCode.EXPIRED_REMAIN, undone.output  # the expired one is in use again
    assert _listener_certificates(aws, listener) == sorted([(default, True), (old, False)])
    assert json.loads(Path("undo.json").read_text())["undo_of"] == str(path)


def test_a_default_alb_certificate_is_swapped_with_modify_listener_keeping_the_others(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    extra = aws.certificate("extra", days=300)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [extra])
    new = _acm(aws, ("*.example.com", *NAMES))
    aws.count_calls()

    outcome = _replace("--yes", "--record", "r.json")

    assert outcome.exit_code == 0, outcome.output
    assert aws.calls[("elastic-load-balancing-v2", REGION, "ModifyListener")] == 1
    assert _listener_certificates(aws, listener) == sorted([(new, True), (extra, False)])

    assert _replace("--undo", "r.json", "--yes", "--record", "u.json").exit_code == cli.ExitCode.EXPIRED_REMAIN
    assert _listener_certificates(aws, listener) == sorted([(old, True), (extra, False)])


def test_an_nlb_tls_listener_swaps_its_default_and_its_additional_certificates_then_undoes_them(
    cli_account: Fake,
) -> None:
    # Given a Network Load Balancer's TLS listener with the expired certificate as its default and as an additional
    # certificate of another listener (the emulator applies ModifyListener to TLS listeners, as AWS does)
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    extra = aws.certificate("extra", days=300)["Arn"]
    default_listener = seed.nlb_with_certificates(aws.session, REGION, "edge", old, [extra])
    sni_listener = seed.nlb_with_certificates(aws.session, REGION, "edge-2", extra, [old])
    new = _acm(aws, ("shop.example.com", *NAMES))

    outcome = _replace("--yes", "--record", "r.json")

    # Then the default is modified and the additional one added then removed; the other certificates stay
    assert outcome.exit_code == 0, outcome.output
    assert _listener_certificates(aws, default_listener) == sorted([(new, True), (extra, False)])
    assert _listener_certificates(aws, sni_listener) == sorted([(extra, True), (new, False)])
    record = json.loads(Path("r.json").read_text())
    assert sorted(change["kind"] for change in record["changes"]) == ["elbv2-default", "elbv2-sni"]

    undone = _replace("--undo", "r.json", "--yes", "--record", "u.json")
    assert undone.exit_code == cli.ExitCode.EXPIRED_REMAIN, undone.output
    assert _listener_certificates(aws, default_listener) == sorted([(old, True), (extra, False)])
    assert _listener_certificates(aws, sni_listener) == sorted([(extra, True), (old, False)])


def test_a_classic_elb_listener_is_swapped_then_undone(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("legacy", days=-3, names=NAMES, key_type="rsa")["Arn"]
    seed.classic_elb(aws.session, REGION, "legacy", old)
    new = aws.certificate("legacy-2027", days=400, names=("legacy.example.com", *NAMES), key_type="rsa")["Arn"]
    elb = aws.session.client("elb", region_name=REGION)

    def held() -> str:
        [balancer] = elb.describe_load_balancers(LoadBalancerNames=["legacy"])["LoadBalancerDescriptions"]
        return str(balancer["ListenerDescriptions"][0]["Listener"]["SSLCertificateId"])

    outcome = _replace("--yes", "--record", "r.json")

    assert outcome.exit_code == 0, outcome.output
    assert held() == new
    undone = _replace("--undo", "r.json", "--yes", "--record", "u.json")
    assert undone.exit_code == cli.ExitCode.EXPIRED_REMAIN, undone.output  # the expired one is in use again
    assert held() == old
    # The undo says that what it restores is expired (the old certificate expired 3 days ago)
    assert f"{old} expired" in _said(undone)
    assert "restoring it serves an expired certificate again" in _said(undone)
    assert "restoring it" not in _said(outcome)


def test_an_undo_that_restores_a_valid_certificate_warns_of_nothing(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    _acm(aws, ("shop.example.com", *NAMES))
    assert _replace("--yes", "--record", "r.json").exit_code == 0
    record = json.loads(Path("r.json").read_text())
    record["changes"][0]["old"] = record["changes"][0]["old_ref"] = aws.certificate("fresh", days=90)["Arn"]
    Path("r.json").write_text(json.dumps(record))

    undone = _replace("--undo", "r.json", "--yes", "--record", "u.json")

    assert undone.exit_code == 0, undone.output
    assert "expired" not in _said(undone)


def test_a_certificate_the_account_does_not_hold_is_named_and_nothing_changes(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("Shop", days=-3, names=NAMES)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    _acm(aws, ("shop.example.com", *NAMES))

    outcome = _replace("--certificate", "shop", "--yes")

    assert outcome.exit_code == cli.ExitCode.USAGE, outcome.output
    assert "--certificate: no IAM server certificate named 'shop' in account" in _said(outcome)
    assert "did you mean 'Shop'?" in _said(outcome)
    assert "Nothing to change" not in _said(outcome)
    assert _listener_certificates(aws, listener) == [(old, True)]
    assert not list(Path().glob("cert-cleanup-replace-*.json"))


@pytest.mark.parametrize("dry", [[], ["--dry-run"]])
def test_a_certificate_that_is_not_expired_and_in_use_is_left_with_what_it_is(
    cli_account: Fake, dry: list[str]
) -> None:
    aws = cli_account
    aws.certificate("unused", days=-3)
    aws.certificate("current", days=300)

    outcome = _replace("--certificate", "unused", "--certificate", "current", "--yes", *dry)

    assert outcome.exit_code == cli.ExitCode.OK, outcome.output  # no expired certificate is left in use
    said = _said(outcome)
    assert "current: not an expired certificate in use (valid:" in said
    assert "unused: not an expired certificate in use (would_delete: expired 3 days ago and unused)" in said
    assert "Nothing to change." in said


def test_a_cloudfront_distribution_gets_the_acm_certificate_of_us_east_1_and_nothing_else_changes(
    cli_account: Fake,
) -> None:
    aws = cli_account
    old = aws.certificate("cdn", days=-3, path="/cloudfront/", names=("cdn.example.com",))
    distribution = seed.cloudfront_distribution(aws.session, "cdn", old["ServerCertificateId"]).rsplit("/", 1)[1]
    new = _acm(aws, ("cdn.example.com",), region="us-east-1")
    cloudfront = aws.session.client("cloudfront")
    before = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]

    outcome = _replace("--yes", "--record", "r.json")

    assert outcome.exit_code == 0, outcome.output
    after = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]
    assert after["ViewerCertificate"]["ACMCertificateArn"] == new
    assert not after["ViewerCertificate"].get("IAMCertificateId")
    assert {k: v for k, v in after.items() if k != "ViewerCertificate"} == {
        k: v for k, v in before.items() if k != "ViewerCertificate"
    }

    assert _replace("--undo", "r.json", "--yes", "--record", "u.json").exit_code == cli.ExitCode.EXPIRED_REMAIN
    restored = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]["ViewerCertificate"]
    assert restored["IAMCertificateId"] == old["ServerCertificateId"]
    assert not restored.get("ACMCertificateArn")


def test_an_appsync_domain_is_left_with_what_to_do_instead(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("api", days=-3, names=("api.example.com",))["Arn"]
    seed.appsync_domain(aws.session, REGION, "api.example.com", old)
    _acm(aws, ("api.example.com",))

    outcome = _replace("--yes")

    assert outcome.exit_code == 4, outcome.output
    assert "cannot change their certificate in place: create a domain name with" in _said(outcome)
    assert "Nothing to change." in _said(outcome)


# --- safety ----------------------------------------------------------------------------------------------------------


def test_a_listener_changed_between_plan_and_swap_is_not_touched_and_the_rest_stops(
    cli_account: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES, key_type="rsa")["Arn"]
    someone_elses = aws.certificate("theirs", days=300)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    seed.classic_elb(aws.session, REGION, "legacy", old)
    new = _acm(aws, ("shop.example.com", *NAMES))
    elbv2 = aws.session.client("elbv2", region_name=REGION)

    def someone_changes_it_while_you_read(*_: Any, **__: Any) -> bool:
        elbv2.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": someone_elses}])
        return True

    monkeypatch.setattr(typer, "confirm", someone_changes_it_while_you_read)

    outcome = _replace("--record", "r.json")

    assert outcome.exit_code == 3, outcome.output
    assert "changed since the plan was shown: it holds another certificate" in _said(outcome)
    assert _listener_certificates(aws, listener) == [(someone_elses, True)]
    classic = aws.session.client("elb", region_name=REGION).describe_load_balancers()["LoadBalancerDescriptions"][0]
    assert classic["ListenerDescriptions"][0]["Listener"]["SSLCertificateId"] == old  # after the failure: untouched
    # The ALB's listener comes first (used_by is sorted): its failure stops the Classic ELB's swap
    record = json.loads(Path("r.json").read_text())
    assert [(change["kind"], change["state"]) for change in record["changes"]] == [
        ("elbv2-default", "failed"),
        ("elb", "planned"),
    ]
    assert new not in json.dumps(_listener_certificates(aws, listener))


def test_a_certificate_that_does_not_cover_every_name_is_never_swapped_to(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    short = _acm(aws, ("*.example.com",))  # covers shop.example.com; www.shop.example.com is two labels below

    outcome = _replace("--certificate", "shop", "--to", short, "--yes")

    assert outcome.exit_code == 4, outcome.output
    assert f"{short} does not cover www.shop.example.com, which shop serves" in _said(outcome)
    assert _listener_certificates(aws, listener) == [(old, True)]
    assert not list(Path().glob("cert-cleanup-replace-*.json"))


@pytest.mark.parametrize(("arguments", "env"), [(["--dry-run"], {}), ([], {"DRY_RUN": "true"})])
def test_a_dry_run_shows_the_plan_and_changes_nothing(
    cli_account: Fake, arguments: list[str], env: dict[str, str]
) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    new = _acm(aws, ("shop.example.com", *NAMES))

    outcome = _replace(*arguments, env=env)

    assert outcome.exit_code == 4, outcome.output
    assert new in outcome.output
    assert "nothing was changed" in _said(outcome)
    assert _listener_certificates(aws, listener) == [(old, True)]
    assert not list(Path().glob("cert-cleanup-replace-*.json"))


def test_answering_no_changes_nothing_and_exits_1(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    _acm(aws, ("shop.example.com", *NAMES))

    outcome = _replace(answer="n\n")

    assert outcome.exit_code == 1, outcome.output
    assert "Nothing was changed." in outcome.output
    assert _listener_certificates(aws, listener) == [(old, True)]


def test_the_first_failure_stops_the_rest_and_says_what_was_and_was_not_changed(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES, key_type="rsa")["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    seed.classic_elb(aws.session, REGION, "legacy", old)
    new = _acm(aws, ("shop.example.com", *NAMES))
    aws.fail("elbv2", "ModifyListener", "AccessDenied", "not allowed")

    outcome = _replace("--yes", "--record", "r.json")

    assert outcome.exit_code == 3, outcome.output
    said = _said(outcome)
    assert "FAILED:" in said
    assert "AccessDenied: not allowed" in said
    record = json.loads(Path("r.json").read_text())
    assert [(change["kind"], change["state"]) for change in record["changes"]] == [
        ("elbv2-default", "failed"),
        ("elb", "planned"),
    ]
    assert "Changed: nothing." in said
    assert "Not changed: listener" in said
    classic = aws.session.client("elb", region_name=REGION).describe_load_balancers()["LoadBalancerDescriptions"][0]
    assert classic["ListenerDescriptions"][0]["Listener"]["SSLCertificateId"] == old
    assert _listener_certificates(aws, listener) == [(old, True)]
    assert new in said


def test_undo_refuses_a_file_that_is_not_a_record(cli_account: Fake) -> None:
    Path("other.json").write_text('{"hello": 1}')
    outcome = _replace("--undo", "other.json", "--yes")
    assert outcome.exit_code == 3
    assert "not a record written by cert-cleanup replace" in _said(outcome)


def test_the_record_is_written_before_the_change(cli_account: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    _acm(aws, ("shop.example.com", *NAMES))
    seen: list[str] = []
    original = replacing.apply

    def apply(clients: Any, swap: replacing.Swap) -> None:
        seen.append(json.loads(Path("r.json").read_text())["changes"][0]["state"])
        original(clients, swap)

    monkeypatch.setattr(replacing, "apply", apply)

    assert _replace("--yes", "--record", "r.json").exit_code == 0
    assert seen == ["started"]


def test_an_additional_certificate_is_added_before_the_old_one_is_removed(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    default = aws.certificate("main", days=300)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", default, [old])
    _acm(aws, ("shop.example.com", *NAMES))
    aws.fail("elbv2", "AddListenerCertificates", "TooManyCertificates", "the listener is full")

    outcome = _replace("--yes", "--record", "r.json")

    assert outcome.exit_code == 3, outcome.output
    assert "TooManyCertificates: the listener is full" in _said(outcome)
    # The old certificate still serves its names: it is removed only once the new one is attached
    assert _listener_certificates(aws, listener) == sorted([(default, True), (old, False)])


def test_undo_restores_nothing_whose_old_certificate_is_gone(cli_account: Fake) -> None:
    aws = cli_account
    old = aws.certificate("shop", days=-3, names=NAMES)["Arn"]
    listener = seed.alb_with_certificates(aws.session, REGION, "shop", old, [])
    new = _acm(aws, ("shop.example.com", *NAMES))
    assert _replace("--yes", "--record", "r.json").exit_code == 0
    aws.iam.delete_server_certificate(ServerCertificateName="shop")  # the next run deleted it, as it should

    outcome = _replace("--undo", "r.json", "--yes", "--record", "u.json")

    assert outcome.exit_code == 4, outcome.output
    assert f"{old} cannot be restored, it no longer exists" in _said(outcome)
    assert _listener_certificates(aws, listener) == [(new, True)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--profile", "a", "--profile", "b"], "'--profile': given 2 times: give it once"),
        (["--record", "r1.json", "--record", "r2.json"], "'--record': given 2 times: give it once"),
        (["--certificate", "x", "--to", "arn:aws:acm:eu-west-1:123456789012:certificate/a", "--to", "y"], "'--to'"),
        (["--certificate", "x", "--to", "y"], "--to: not the ARN of an ACM certificate or an IAM server certificate"),
        (
            ["--certificate", "x", "--certificate", "z", "--to", "arn:aws:acm:eu-west-1:123456789012:certificate/a"],
            "--to: one successor for one --certificate",
        ),
    ],
)
def test_a_repeated_or_wrong_option_is_refused_before_any_aws_call(
    cli_account: Fake, arguments: list[str], message: str
) -> None:
    from tests.support import every_call

    with every_call() as calls:
        outcome = _replace(*arguments)
    assert outcome.exit_code == cli.ExitCode.USAGE, outcome.output
    assert message in _said(outcome)
    assert sum(calls.values()) == 0
