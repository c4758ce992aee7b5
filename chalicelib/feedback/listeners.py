"""The feedback consumer: an erased member's words leave their messages (PIPL/GDPR erasure reaches feedback too).

It rides the ``statistics`` queue, which receives every event, so erasure needs no queue of its own."""

from __future__ import annotations

from chalicelib.feedback import service
from chalicelib.shared.db import Transaction
from chalicelib.shared.events import Event, consumer


@consumer("feedback-erasure", queue="statistics", types=["member.erased"])
def erase_feedback_words(tx: Transaction, event: Event) -> None:
    service.erase_words_of(str(event.payload["member_id"]))
