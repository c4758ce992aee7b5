"""Domain events: written to an outbox in the writer's transaction, relayed to SNS, consumed exactly once.

A change and its event commit together (``emit``), so a crash between commit and publish loses nothing:
the outbox table's stream feeds ``relay`` (a Lambda on AWS, a thread in the local stack), which publishes
each envelope to the events topic. A transaction's events may share one outbox item (``emit_all``): an
item is billed by the kilobyte, so one item of two small envelopes costs what one envelope does. They may
also ride, packed (``packed``), on an item the transaction writes anyway where its last kilobyte has room (a
ledger post's member account): that table's stream feeds the same relay, which publishes what a write put
there (its new image carries events its old image did not), so the events cost no item of their own. SNS and
the relay both deliver at least once, so consumers dedupe: ``consume`` writes a marker per (consumer, event
id) in the same transaction as the consumer's own writes, and a repeat finds the marker and changes nothing.
"""

from __future__ import annotations

import base64
import functools
import json
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.shared import clock
from chalicelib.shared.context import current_origin
from chalicelib.shared.db import Record, Transaction, reason_codes, registered_tables, table
from chalicelib.shared.ids import new_id
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings

OUTBOX_RETENTION = timedelta(days=7)
CONSUMED_RETENTION = timedelta(days=30)


class Event(BaseModel):
    """The envelope every domain event travels in. ``subject`` names the thing it is about; ``actor`` who
    caused it (``staff:<id>``, ``system`` ...), with the request and address it came from when there was one."""

    model_config = ConfigDict(defer_build=True)  # built by the first event, not at import

    event_id: str
    type: str = Field(pattern=r"^[a-z]+(\.[a-z-]+)+$")
    version: int = 1
    occurred_at: str
    subject: str
    payload: dict[str, Any]
    actor: str = "system"
    request_id: str | None = None
    source_ip: str | None = None


def new_event(type: str, subject: str, payload: dict[str, Any], version: int = 1) -> Event:
    """A new event, stamped now. Payloads carry ids and amounts, never personal data."""
    origin = current_origin()
    return Event(
        event_id=new_id("ev_"), type=type, version=version, occurred_at=clock.iso(clock.now()),
        subject=subject, payload=payload, actor=origin.actor, request_id=origin.request_id,
        source_ip=origin.source_ip,
    )  # fmt: skip


def change_summary(
    changed: Iterable[str], before: Mapping[str, Any], after: Mapping[str, Any], shown: Collection[str]
) -> dict[str, Any]:
    """What an update event says about its change, for the audit log: every changed field by name
    (``changed``), and the values ``before`` and ``after`` of those in ``shown``. Fields left out of ``shown``
    are personal data (names, phones, emails, birthdays, addresses, passwords, secrets): named, never valued."""
    names = sorted(set(changed))
    valued = [name for name in names if name in shown]
    return {
        "changed": names, "before": {name: before[name] for name in valued},
        "after": {name: after[name] for name in valued},
    }  # fmt: skip


@table
class OutboxRecord(Record):
    """Events waiting to be relayed, keyed by the (first) event's id: ``envelope`` is one envelope (a JSON
    object), or the envelopes of one transaction as ``{"shared": {...}, "events": [...]}`` where ``shared``
    holds the fields every one of them has alike (actor, request id, ...), written once."""

    logical_name = "outbox"
    stream = "NEW_IMAGE"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "outbox"

    event_id = UnicodeAttribute(hash_key=True)
    envelope = UnicodeAttribute()
    expires_at = TTLAttribute()

    def envelopes(self) -> list[dict[str, Any]]:
        """The envelopes this item holds, in the order they were emitted."""
        return envelopes_of(self.envelope)


def envelopes_of(stored: str) -> list[dict[str, Any]]:
    """The envelopes an outbox item's ``envelope`` attribute holds (one object, or an array of them)."""
    found = json.loads(stored)
    if "events" not in found:
        return [found]
    return [{**found["shared"], **event} for event in found["events"]]


@table
class ConsumedRecord(Record):
    """Marks an event as handled by one consumer."""

    logical_name = "consumed"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "consumed"

    key = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute()


def emit(tx: Transaction, event: Event) -> None:
    """Add ``event`` to the outbox in the same transaction as the change it describes."""
    emit_all(tx, [event])


def emit_all(tx: Transaction, events: Sequence[Event]) -> None:
    """Add ``events`` to the outbox as one item, in the same transaction as the change they describe; the
    relay publishes each of them as its own message, so consumers see no difference."""
    if not events:
        return
    record = OutboxRecord(events[0].event_id, envelope=_encoded(events), expires_at=clock.now() + OUTBOX_RETENTION)
    tx.put(record, condition=OutboxRecord.event_id.does_not_exist())


def _encoded(events: Sequence[Event]) -> str:
    """One envelope's JSON, or several as ``{"shared": {...}, "events": [...]}`` (what ``envelopes_of`` reads)."""
    if len(events) == 1:
        return events[0].model_dump_json()
    dumped = [event.model_dump(mode="json") for event in events]
    shared = {name: value for name, value in dumped[0].items() if all(d.get(name) == value for d in dumped)}
    unshared = [{name: value for name, value in d.items() if name not in shared} for d in dumped]
    return json.dumps({"shared": shared, "events": unshared}, ensure_ascii=False, separators=(",", ":"))


CARRIED = "events"  # the attribute of an item that carries a transaction's events (``packed``)
PACKING = 1  # the packing of new items; every version ever written stays readable

# The words envelopes share, most frequent last (deflate refers back to them as to text it has just seen): an
# item's events, packed against them, take a quarter of their JSON (a purchase's two events: 801 bytes, 191
# packed). A version's words never change once items carry them: new words are a new version.
_WORDS = {
    1: (
        '"coupon.redeemed","coupon.issued","coupon.reversed","template_id","code","face_fen","mall.order-placed",'
        '"reward_id","membership.card-paid","membership.benefit-used","plan_id","card_id","benefit","uses",'
        '"wallet.topped-up","wallet.paid","wallet.refunded","wallet.cash-refunded","payment_id","refund_id",'
        '"principal_fen","bonus_fen","wallet":{"principal_fen":,"bonus_fen":},"points.adjusted","points.redeemed",'
        '"points.redemption-reversed","points.expired","points.matured","refund.recorded","amount_fen","refunded_fen",'
        '"activity.recorded","kind","tier.changed","from":"normal","to":"silver","gold","platinum","reason":"消费积分",'
        '"growth","programme","until":null,"override":null,'
        '{"shared":{"version":1,"occurred_at":"2026-01-01T00:00:00.000Z","subject":"member/mb_01","actor":"partner:pt_01",'
        '"request_id":"req_01","source_ip":"127.0.0.1"},"events":[{"event_id":"ev_01","type":"purchase.recorded",'
        '"payload":{"member_id":"mb_01","partner_id":"pt_01","order_id":"","store_id":"","paid_fen":,"total_fen":,'
        '"points":,"tier":"normal","payment_method":"cash"}},{"event_id":"ev_01","type":"points.earned",'
        '"payload":{"member_id":"mb_01","points":,"seq":,"balance_after":,"type":"earn","source_kind":"order",'
        '"source_id":"","reason":"消费积分","lots":[["2026-12-31",]],"store_id":"'
    ).encode(),
}


def packed(events: Sequence[Event]) -> bytes:
    """``events`` as an item may carry them (``CARRIED``): the packing's version in one byte, then the envelopes'
    JSON deflated against that version's words. The window and the compressor's memory are small (an item's events
    are a few KiB at most): deflate's largest take a third of a megabyte to set up for each post, and any window
    is read back (``unpacked`` allows the largest)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -13, 4, zlib.Z_DEFAULT_STRATEGY, _WORDS[PACKING])  # 8 KiB back
    return bytes([PACKING]) + packer.compress(_encoded(events).encode()) + packer.flush()


def unpacked(carried: bytes) -> list[dict[str, Any]]:
    """The envelopes ``packed`` made ``carried`` of, in the order they were emitted."""
    unpacker = zlib.decompressobj(-15, zdict=_WORDS[carried[0]])
    return envelopes_of((unpacker.decompress(carried[1:]) + unpacker.flush()).decode())


def published_from(image: Mapping[str, Any]) -> bool:
    """Whether the relay publishes from an item like this one (DynamoDB JSON) when it is inserted: an outbox item,
    or an item carrying events (what a reload of saved tables records on their streams)."""
    return "envelope" in image or CARRIED in image


def relayed_envelopes(stream_records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The envelopes stream records bring (``envelopes_in``), in order."""
    return [envelope for record in stream_records for envelope in envelopes_in(record)]


def envelopes_in(stream_record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The envelopes one stream record brings: a new outbox item's, or the events an item carries where the write
    put them there (its new image carries events its old image did not: a later write that leaves them, or removes
    them, brings none). Binary values come as bytes from the streams API and as base64 text to a Lambda."""
    images = stream_record.get("dynamodb") or {}
    new = images.get("NewImage") or {}
    if stream_record.get("eventName") == "INSERT" and "envelope" in new:
        return envelopes_of(new["envelope"]["S"])
    carried = new.get(CARRIED)
    if carried is None or carried == (images.get("OldImage") or {}).get(CARRIED):
        return []
    value = carried["B"]
    return unpacked(value if isinstance(value, bytes) else base64.b64decode(value))


def relayed_tables() -> list[type[Record]]:
    """The tables whose streams feed the relay: every table with a stream (the outbox, the ledger's accounts)."""
    return [cls for cls in registered_tables() if cls.stream]


@functools.cache
def _sns() -> Any:
    from chalicelib.shared import aws  # imported on first publish: it is not needed to answer most requests

    return aws.client("sns", get_settings().region)


def relay(stream_records: Iterable[dict[str, Any]]) -> int:
    """Publish the envelopes stream records bring (``relayed_envelopes``) to the events topic; return how many.

    Takes DynamoDB stream records (``eventName``, ``dynamodb.NewImage`` and ``OldImage``). A failure raises, so the
    stream retries the batch: a repeat publish is harmless because consumers dedupe by event id. Events an item
    carried are first parked in the outbox (``park``), since the item keeps them only until its next write while the
    outbox keeps them for days: a batch of those alone then succeeds, and the outbox's stream publishes them. Each
    message carries the event's ``type`` and ``actor`` as attributes, for the queues' subscription filters.
    """
    records = list(stream_records)
    try:
        return _publish(relayed_envelopes(records))
    except Exception:
        carried = [found for record in records if not _outbox_item(record) and (found := envelopes_in(record))]
        if not carried:
            raise
        park(carried)
        if any(_outbox_item(record) for record in records):
            raise
        logger.warning("events carried on items parked in the outbox", extra={"groups": len(carried)})
        return 0


def _outbox_item(stream_record: Mapping[str, Any]) -> bool:
    return "envelope" in ((stream_record.get("dynamodb") or {}).get("NewImage") or {})


def park(groups: Sequence[list[dict[str, Any]]]) -> None:
    """Put each group of envelopes (one item's) in the outbox as the item it would have been, unless it is there."""
    for envelopes in groups:
        stored = json.dumps({"shared": {}, "events": envelopes}, ensure_ascii=False, separators=(",", ":"))
        record = OutboxRecord(envelopes[0]["event_id"], envelope=stored, expires_at=clock.now() + OUTBOX_RETENTION)
        try:
            record.save(condition=OutboxRecord.event_id.does_not_exist())
        except PutError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise


def _publish(envelopes: Sequence[dict[str, Any]]) -> int:
    topic = get_settings().events_topic_arn
    for start in range(0, len(envelopes), 10):
        chunk = envelopes[start : start + 10]
        entries = [{"Id": str(index), "Message": json.dumps(envelope, ensure_ascii=False, separators=(",", ":")),
                    "MessageAttributes": _attributes(envelope)} for index, envelope in enumerate(chunk)]  # fmt: skip
        result = _sns().publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SNS refused {len(result['Failed'])} events: {result['Failed'][0].get('Code')}")
    return len(envelopes)


def _attributes(envelope: dict[str, Any]) -> dict[str, dict[str, str]]:
    values = {"type": str(envelope["type"]), "actor": str(envelope.get("actor") or "system")}
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


Handler = Callable[[Transaction, Event], None]


@dataclass(frozen=True)
class Consumer:
    """A named reaction to event types, fed by one queue."""

    name: str
    queue: str
    types: frozenset[str]
    handle: Handler
    batched: bool = False
    marked: bool = True

    def wants(self, queue: str, event: Event) -> bool:
        return self.queue == queue and bool({event.type, "*"} & self.types)


CONSUMERS: list[Consumer] = []


@functools.cache
def _load_consumers() -> None:
    """Each domain's ``listeners`` module registers its consumers: import them all on first need, so no consumer
    is left out and a process that never consumes (the API) never imports them."""
    from chalicelib.shared.db import import_each

    import_each("listeners")


def consumers() -> list[Consumer]:
    """Every registered consumer."""
    _load_consumers()
    return CONSUMERS


def consumer(
    name: str, *, queue: str, types: Iterable[str], batched: bool = False, marked: bool = True
) -> Callable[[Handler], Handler]:
    """Register ``handle(tx, event)``: it adds its writes to ``tx``, committed with the dedupe marker (or,
    when another writer owns the transaction, such as the ledger engine, it ``drain``s ``tx`` into that one).

    ``types`` lists the event types it wants; ``"*"`` means every event on its queue. ``batched``: the
    events of one delivery may share a transaction (their markers and writes, counters summed; an event whose writes
    name an item the events before it write goes into the next one, its handler run again after their commit), which
    holds when running the handler again changes nothing twice (its only writes are in ``tx``, or are idempotent of
    their own). When a shared commit is refused (a redelivered event), the events no earlier commit of
    the delivery took are redone event by event.
    ``marked=False``: no dedupe marker, for a handler whose only write is a put of an item of the event's own, which
    a repeat writes again alike (a delivery's writes then pack twice as densely).
    """

    def register(handle: Handler) -> Handler:
        CONSUMERS.append(Consumer(name=name, queue=queue, types=frozenset(types), handle=handle, batched=batched,
                                  marked=marked))  # fmt: skip
        return handle

    return register


def consume(queue: str, event: Event) -> list[str]:
    """Run every consumer of ``queue`` interested in ``event``, each exactly once; return who acted."""
    return [registered.name for registered in consumers()
            if registered.wants(queue, event) and _consume_one(registered, event)]  # fmt: skip


def _marked(tx: Transaction, registered: Consumer, event: Event) -> None:
    if registered.marked:
        marker = ConsumedRecord(f"{registered.name}#{event.event_id}", expires_at=clock.now() + CONSUMED_RETENTION)
        tx.put(marker, condition=ConsumedRecord.key.does_not_exist(), on_fail=_AlreadyConsumed(), decisive=True)
    registered.handle(tx, event)


def _consume_one(registered: Consumer, event: Event) -> bool:
    """Whether ``registered`` acted on ``event`` now (False: it had before)."""
    tx = Transaction()
    try:
        _marked(tx, registered, event)
        if len(tx):  # empty when the handler committed the marker with its own writes (``drain``)
            tx.commit()
    except _AlreadyConsumed:
        logger.info("duplicate event skipped", extra={"consumer": registered.name, "event_id": event.event_id})
        return False
    return True


def _consume_together(registered: Consumer, events: list[Event]) -> None:
    """Consume ``events`` in as few transactions as their items allow (at most 100 items, each item named once). An
    event that writes an item the events before it write (a member's second event, its marker read before the first
    one's commit) is taken again, read after that commit, into the next transaction. If anything fails,
    ``_SharedCommitRefused`` names the events the commits before it consumed."""
    tx, pending, consumed = Transaction(), list[str](), set[str]()
    try:
        for event in events:
            part = Transaction()
            _marked(part, registered, event)
            shared = tx.shares_an_item_with(part)
            if shared or len(tx) + len(part) > MAX_TRANSACTION_ITEMS:
                tx.commit()
                consumed.update(pending)
                tx, pending = Transaction(), []
                if shared:  # what it read may have changed with that commit
                    part = Transaction()
                    _marked(part, registered, event)
            tx.extend(part)
            pending.append(event.event_id)
        tx.commit()
    except Exception as e:
        raise _SharedCommitRefused(consumed) from e


def _why(error: BaseException | None) -> str:
    """A refused commit's cause, with DynamoDB's reasons per item when it gives them."""
    if isinstance(error, TransactWriteError):
        codes = sorted({code for code in reason_codes(error) if code})
        return f"{error.cause_response_code}: {codes or error.cause_response_message}"
    return repr(error)[:300]


class _SharedCommitRefused(Exception):
    def __init__(self, consumed: set[str]) -> None:
        super().__init__(f"{len(consumed)} events consumed before the refusal")
        self.consumed = consumed


MAX_TRANSACTION_ITEMS = 100


class _AlreadyConsumed(Exception):
    pass


class RetryLater(Exception):
    """A consumer cannot act yet (a provider throttled it, or is unreachable): the queue hands the event back after
    a backoff that doubles with each receive, never sooner than ``retry_after`` seconds when the cause said so."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


BACKOFF_FIRST, BACKOFF_MOST = 10, 3_600  # seconds; SQS allows a message to stay hidden for up to 12 hours


def backoff_seconds(receive_count: int, retry_after: int | None, spread: float) -> int:
    """How long a message stays hidden after its ``receive_count``-th receive failed: 10 s, 20 s, 40 s … up to an
    hour, ``spread`` (0..1) of it drawn at random so throttled messages do not return together, and never less than
    the provider's ``retry_after``."""
    doubled = min(BACKOFF_MOST, BACKOFF_FIRST << min(20, max(0, receive_count - 1)))
    jittered = round(doubled / 2 + doubled / 2 * spread)
    return min(12 * 3_600, max(jittered, retry_after or 0))


def consume_delivery(queue: str, events: list[tuple[str, Event]]) -> dict[str, int | None]:
    """Run the consumers of ``queue`` on the events of one delivery (message id, event), each exactly once;
    return the ids of the messages some consumer failed on, each with the wait a ``RetryLater`` asked for (None:
    it failed, or asked for no particular wait).

    A batched consumer consumes the delivery's events together; if a commit is refused or anything fails, it
    consumes the events no earlier commit took one by one, so only the events that really fail are reported (and
    a redelivered event is skipped, not counted twice). An event delivered twice in one delivery is consumed once."""
    messages: dict[str, list[str]] = {}
    distinct: list[Event] = []
    for message_id, event in events:
        if event.event_id not in messages:
            distinct.append(event)
        messages.setdefault(event.event_id, []).append(message_id)
    failed: dict[str, int | None] = {}
    for registered in consumers():
        wanted = [event for event in distinct if registered.wants(queue, event)]
        if registered.batched and len(wanted) > 1:
            try:
                _consume_together(registered, wanted)
                continue
            except _SharedCommitRefused as refused:  # the rest redone one by one below, where a failure is reported
                logger.info("shared commit refused; consuming the rest one by one",
                            extra={"consumer": registered.name, "consumed": len(refused.consumed),
                                   "why": _why(refused.__cause__)})  # fmt: skip
                wanted = [event for event in wanted if event.event_id not in refused.consumed]
        for event in wanted:
            try:
                _consume_one(registered, event)
            except RetryLater as e:
                why = {"consumer": registered.name, "queue": queue, "event_id": event.event_id, "why": str(e)}
                logger.info("event consumer retries later", extra=why)
                failed[event.event_id] = max(failed.get(event.event_id) or 0, e.retry_after or 0)
            except Exception:
                logger.exception("event consumer failed", extra={"consumer": registered.name, "queue": queue,
                                                                 "event_id": event.event_id})  # fmt: skip
                failed.setdefault(event.event_id, None)
    return {message_id: failed[event_id] for event_id in sorted(failed) for message_id in messages[event_id]}


def handle_sqs_batch(queue: str, records: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Lambda SQS handler body: consume each message, report the ones that failed for redelivery.

    Returns the ``batchItemFailures`` shape (ReportBatchItemFailures), so one bad message neither blocks
    nor repeats the others; after the queue's maxReceiveCount it moves to the dead-letter queue. A message whose
    consumer asked to retry later is hidden for its backoff first (``backoff_seconds``), instead of returning
    after the queue's fixed visibility timeout.
    """
    failures: list[str] = []
    events: list[tuple[str, Event]] = []
    for record in records:
        try:
            events.append((record["messageId"], Event.model_validate_json(record["body"])))
        except Exception:
            logger.exception("unreadable event", extra={"queue": queue, "message_id": record.get("messageId")})
            failures.append(record["messageId"])
    later = consume_delivery(queue, events)
    _hide_for_backoff(queue, [record for record in records if record["messageId"] in later], later)
    failures += list(later)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


def _hide_for_backoff(queue: str, records: list[dict[str, Any]], retry_after: Mapping[str, int | None]) -> None:
    """Hide each failed message for its backoff (one request per ten). A message whose visibility cannot be changed
    (no receipt handle, or SQS refuses) simply returns after the queue's visibility timeout."""
    import random

    from chalicelib.shared import sqs

    entries = [
        (record["receiptHandle"], backoff_seconds(int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)),
                                                  retry_after[record["messageId"]], random.random()))
        for record in records if record.get("receiptHandle")
    ]  # fmt: skip
    if entries:
        try:
            sqs.hide_for(queue, entries)
        except Exception:
            logger.exception("could not delay failed messages", extra={"queue": queue, "count": len(entries)})
