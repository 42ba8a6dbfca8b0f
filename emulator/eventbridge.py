"""EventBridge's cross-account PutEvents onto another account's event bus, where moto 5.2.5 falls short.

Each behaviour this adds, from the EventBridge API Reference and User Guide:

- PutEvents with ``EventBusName`` set to the ARN of a bus in another account puts the event on that bus
  (PutEventsRequestEntry: "the name or ARN of the event bus"; User Guide, "Sending and receiving events between
  AWS accounts"). moto looks the bus up by name in the caller's own account.
- The event's ``account`` is the account that put it, whatever the entry says (User Guide, "Amazon EventBridge
  events": ``account``, "the 12-digit number identifying an AWS account"; the entry has no field to set it).
  moto stamps the bus owner's account, which would hide exactly what the digest relies on.
- An entry larger than 256 KB (the UTF-8 bytes of Source, DetailType and Detail: "Calculating PutEvents event
  entry size") is not taken: here it raises, so that a test can never pass on an event AWS would refuse.

The bus's rules and their SQS targets are moto's (its event pattern matching and its queue). The bus's
resource policy is not evaluated here: tests/infra evaluates it as IAM does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.core.utils import unix_time
from moto.events.models import events_backends

from cert_cleanup.notify.message import EVENT_SIZE_LIMIT, event_entry_size


class EntryTooLarge(ValueError):
    """An entry EventBridge would refuse for its size."""


class MemberEvents:
    """The EventBridge client of account ``sender`` (in ``region``), for ``put_events``."""

    def __init__(self, sender: str, region: str = "us-east-1") -> None:
        self.sender, self.region = sender, region
        self.sent: list[dict[str, Any]] = []

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        answers = []
        for entry in Entries:
            size = event_entry_size(entry["Source"], entry["DetailType"], entry["Detail"])
            if size > EVENT_SIZE_LIMIT:
                raise EntryTooLarge(f"event entry of {size} bytes, over EventBridge's {EVENT_SIZE_LIMIT}")
            _, _, _, region, owner, resource = entry["EventBusName"].split(":", 5)
            bus = events_backends[owner][region].describe_event_bus(resource.split("/", 1)[1])
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": self.sender,
                "time": unix_time(),
                "region": region,
                "resources": entry.get("Resources", []),
                "detail": json.loads(entry["Detail"]),
            }
            self.sent.append(event)
            for rule in bus.rules.values():
                rule.send_to_targets(
                    dict(event), transform_input=False
                )  # the whole event, as with no input transformer
            answers.append({"EventId": event["id"]})
        return {"FailedEntryCount": 0, "Entries": answers}
