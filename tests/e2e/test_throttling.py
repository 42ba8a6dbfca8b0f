"""Under IAM's shared rate limit (the emulator's account-wide token bucket), a run finishes complete
and correct and keeps its throttled IAM calls under 20%: a good neighbour to the account's other callers."""

from __future__ import annotations

from bench.throttle import ThrottleCase, run
from cert_cleanup.aws.clients import MAX_ATTEMPTS, AwsClients
from emulator.process import Emulator

# Smaller than the benchmark's 600 certificates at 10 calls/s, so the test takes seconds; same shape.
CASE = ThrottleCase(certificates=150, expired_unused=90, rate=20.0, burst=10.0, latency_ms=10.0)


def test_every_client_slows_down_when_throttled(emulator: Emulator) -> None:
    clients = AwsClients()
    for service in ("iam", "elb", "elbv2", "cloudfront", "appsync", "ec2", "s3", "sns"):
        retries = clients.client(service).meta.config.retries
        assert retries["mode"] == "adaptive", service
        assert retries["total_max_attempts"] == MAX_ATTEMPTS + 1, service  # botocore counts the first try too


def test_a_throttled_run_is_complete_correct_and_a_good_neighbour(emulator: Emulator) -> None:
    # Given an account whose IAM allows 20 calls/s with a burst of 10, shared by the account
    # When a real run archives and deletes 90 expired, unused certificates
    figures = run(emulator, CASE)

    # Then nothing failed or stayed unchecked, every unused expired certificate is gone
    assert figures["exit_code"] == 0, figures
    assert figures["complete"], figures
    assert figures["all_unused_deleted"], figures
    assert figures["counts"]["deleted"] == CASE.expired_unused
    # And the emulator did throttle (the test is not vacuous), yet under 20% of the run's IAM calls
    assert figures["iam_throttled"] > 0, figures
    assert figures["throttled_share"] < 0.20, figures
