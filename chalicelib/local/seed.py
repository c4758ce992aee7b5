"""Demo data for the local stack, created once: running it again adds nothing."""

from __future__ import annotations

from chalicelib.shared.errors import AlreadyExists
from chalicelib.stores import service as stores
from chalicelib.stores.schemas import StoreCreate

DEMO_STORES = (
    StoreCreate(store_id="SH-001", name="上海静安旗舰店", city="上海", region="华东"),
    StoreCreate(store_id="BJ-001", name="北京三里屯店", city="北京", region="华北"),
    StoreCreate(store_id="GZ-001", name="广州天河店", city="广州", region="华南"),
    StoreCreate(store_id="CD-001", name="成都太古里店", city="成都", region="西南"),
)


def seed_demo_data() -> int:
    """Create the demo stores that do not exist yet, and store the clothing tier programme as the current
    version 1 when no programme is stored; return how many items were created."""
    from chalicelib.tiers import programmes

    created = 0
    if not programmes.versions():
        draft = programmes.create(programmes.clothing(), "seed")
        programmes.make_current(draft.version, "seed")
        created += 1
    for store in DEMO_STORES:
        try:
            stores.create_store(store)
        except AlreadyExists:
            continue
        created += 1
    return created
