"""The chat channel from context keys: Slack and Teams configurations on their own topic and the alarm topic, a
role with no permission and a deny-all guardrail; the function may post to that topic only when a channel exists;
and a key without its partners, or a malformed id, stops synth naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import ContextError, DeployConfig
from tests.infra.conftest import synthesize
from tests.infra.policy import role_statements

SLACK = {"slackWorkspaceId": "T0123ABCD", "slackChannelId": "C0123ABCDEF"}
TEAMS = {
    "teamsTenantId": "11111111-2222-3333-4444-555555555555",
    "teamsTeamId": "66666666-7777-8888-9999-000000000000",
    "teamsChannelId": "19%3ab2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7%40thread.tacv2",
}


def resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


@pytest.fixture(scope="module")
def with_chat() -> dict[str, Any]:
    _, stack = synthesize({**SLACK, **TEAMS})
    return dict(Template.from_stack(stack).to_json())


def test_each_platform_gets_a_channel_on_the_chat_and_alarm_topics(with_chat: dict[str, Any]) -> None:
    topics = resources(with_chat, "AWS::SNS::Topic")
    [chat_topic] = [key for key in topics if key.startswith("ChatTopic")]
    [alarm_topic] = [key for key in topics if "AlarmTopic" in key]
    [slack] = resources(with_chat, "AWS::Chatbot::SlackChannelConfiguration").values()
    [teams] = resources(with_chat, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values()
    assert slack["Properties"]["SlackWorkspaceId"] == SLACK["slackWorkspaceId"]
    assert slack["Properties"]["SlackChannelId"] == SLACK["slackChannelId"]
    assert teams["Properties"]["TeamsTenantId"] == TEAMS["teamsTenantId"]
    assert teams["Properties"]["TeamId"] == TEAMS["teamsTeamId"]
    assert teams["Properties"]["TeamsChannelId"] == TEAMS["teamsChannelId"]
    for channel in (slack, teams):
        assert channel["Properties"]["SnsTopicArns"] == [{"Ref": chat_topic}, {"Ref": alarm_topic}]
        [guardrail] = channel["Properties"]["GuardrailPolicies"]
        assert guardrail == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSDenyAll"]]}
        assert channel["Properties"]["UserRoleRequired"] is False
    assert slack["Properties"]["ConfigurationName"] != teams["Properties"]["ConfigurationName"]


def test_the_channel_role_may_do_nothing(with_chat: dict[str, Any]) -> None:
    [(role_id, role)] = [(k, v) for k, v in resources(with_chat, "AWS::IAM::Role").items() if k.startswith("Chat")]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "chatbot.amazonaws.com"
    }
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    attached = [
        p for p in resources(with_chat, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert attached == []


def test_the_function_posts_to_the_chat_topic_only_when_there_is_a_channel(with_chat: dict[str, Any]) -> None:
    [chat_topic] = [key for key in resources(with_chat, "AWS::SNS::Topic") if key.startswith("ChatTopic")]
    [function] = resources(with_chat, "AWS::Lambda::Function").values()
    assert function["Properties"]["Environment"]["Variables"]["CHAT_TOPIC_ARN"] == {"Ref": chat_topic}
    [function_role] = [k for k in resources(with_chat, "AWS::IAM::Role") if k.startswith("CleanupRole")]
    [post] = [s for s in role_statements(with_chat, function_role) if s.get("Sid") == "PostToChat"]
    assert post["Action"] == "sns:Publish"
    assert post["Resource"] == {"Ref": chat_topic}

    _, without = synthesize({})
    plain = dict(Template.from_stack(without).to_json())
    assert not resources(plain, "AWS::Chatbot::SlackChannelConfiguration")
    assert "PostToChat" not in str(role_statements(plain, next(k for k in resources(plain, "AWS::IAM::Role"))))


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"slackWorkspaceId": "T0123ABCD"}, "context 'slackChannelId': Slack needs slackWorkspaceId, slackChannelId"),
        ({**SLACK, "slackWorkspaceId": "t0123"}, "context 'slackWorkspaceId': must be a Slack workspace id"),
        ({"teamsTenantId": TEAMS["teamsTenantId"]}, "context 'teamsTeamId', 'teamsChannelId': Microsoft Teams needs"),
        ({**TEAMS, "teamsTeamId": "not-a-uuid"}, "context 'teamsTeamId': must be a Microsoft Teams id"),
        ({**TEAMS, "teamsChannelId": "general"}, "context 'teamsChannelId': must be a Teams channel id"),
        (
            {**SLACK, "mode": "organization", "organizationId": "o-a1b2c3d4e5", "organizationalUnitIds": "r-ab12"},
            "single-account mode only",
        ),
    ],
)
def test_an_incomplete_or_malformed_chat_key_stops_synth_naming_it(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ContextError, match=message):
        DeployConfig.from_values({"notificationEmails": ["secops@example.com"], **context})


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
@pytest.mark.parametrize("chat", [SLACK, TEAMS], ids=["slack", "teams"])
def test_chat_keys_in_china_or_govcloud_stop_synth_naming_the_keys_and_why(
    monkeypatch: pytest.MonkeyPatch, region: str, partition: str, chat: dict[str, str]
) -> None:
    # Given a deploy to a region where CloudFormation has no AWS::Chatbot types (the CDK CLI sets the region)
    monkeypatch.setenv("CDK_DEFAULT_REGION", region)
    # When the app synthesizes with chat keys: it stops, naming each key, the region and the reason
    with pytest.raises(ContextError) as raised:
        synthesize(dict(chat))
    message = str(raised.value)
    assert f"context {', '.join(repr(key) for key in chat)}: not available in {region} (partition {partition})" in (
        message
    )
    assert "Amazon Q Developer in chat applications (AWS::Chatbot) is offered in the commercial partition only" in (
        message
    )


def test_chat_keys_in_a_commercial_region_synthesize(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-central-1")
    _, stack = synthesize({**SLACK})
    assert resources(dict(Template.from_stack(stack).to_json()), "AWS::Chatbot::SlackChannelConfiguration")
