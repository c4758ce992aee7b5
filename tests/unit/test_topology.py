"""Every consumer hears the events it handles: its queue's subscription lets each of its event types through (a
type left out of the filter would never arrive, and the consumer would wait for nothing)."""

from chalicelib.shared.events import consumers
from chalicelib.shared.topology import QUEUES


def test_every_consumers_event_types_pass_its_queues_filter():
    queues = {spec.logical_name: spec for spec in QUEUES}
    missed = []
    for consumer in consumers():
        spec = queues[consumer.queue]
        if spec.subscribes_to_events and spec.event_types:
            missed += [(consumer.name, kind) for kind in consumer.types if kind != "*" and kind not in spec.event_types]
    assert len(consumers()) > 20
    assert missed == []
