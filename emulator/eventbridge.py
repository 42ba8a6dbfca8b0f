"""A member's result on its way to the central event bus, where moto 5.2.5 falls short.

A member's function puts its result on its own account's default bus; the member stack's rule there forwards it
to the organization's bus (a bus in another account, through the forwarding role: EventBridge User Guide,
"Sending and receiving events between AWS accounts"). :class:`MemberEvents` is that member's EventBridge client
with the forwarding rule applied (tests/infra checks the member stack has that rule). What it adds to moto:

- The event keeps, on the central bus, the ``account`` of the account that put it: EventBridge sets it (User
  Guide, "Amazon EventBridge events": ``account``; a PutEvents entry has no field to set it) and the receiving
  account's rules can match it. moto stamps a forwarded event with the receiving bus owner's account, which would
  hide exactly what the digest relies on.
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
    """The EventBridge client of account ``sender``, for ``put_events`` on its own bus, whose results the member
    stack's rule forwards to ``central_bus_arn``."""

    def __init__(self, sender: str, central_bus_arn: str) -> None:
        self.sender, self.central_bus_arn = sender, central_bus_arn
        self.sent: list[dict[str, Any]] = []

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        answers = []
        for entry in Entries:
            size = event_entry_size(entry["Source"], entry["DetailType"], entry["Detail"])
            if size > EVENT_SIZE_LIMIT:
                raise EntryTooLarge(f"event entry of {size} bytes, over EventBridge's {EVENT_SIZE_LIMIT}")
            _, _, _, region, owner, resource = entry["EventBusName"].split(":", 5)
            if (owner, resource) != (self.sender, "event-bus/default"):
                raise AssertionError(f"a member puts its result on its own default bus, not {entry['EventBusName']}")
            _, _, _, region, owner, resource = self.central_bus_arn.split(":", 5)
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
            for rule in bus.rules.values():  # the whole event to each target, as with no input transformer
                rule.send_to_targets(dict(event), transform_input=False)  # type: ignore[arg-type]
            answers.append({"EventId": event["id"]})
        return {"FailedEntryCount": 0, "Entries": answers}
