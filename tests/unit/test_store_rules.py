import pytest

from chalicelib.stores.model import Store, StoreStatus, apply_changes

STORE = Store("SH-001", "Jing'an", "Shanghai", "East", StoreStatus.OPEN, "2026-01-01T00:00:00.000Z",
              "2026-01-01T00:00:00.000Z", 3)  # fmt: skip


def test_changes_apply_and_stamp_the_update_time():
    closed = apply_changes(STORE, {"status": StoreStatus.CLOSED}, "2026-02-01T00:00:00.000Z")
    assert closed.status is StoreStatus.CLOSED
    assert closed.updated_at == "2026-02-01T00:00:00.000Z"
    assert (closed.store_id, closed.created_at, closed.version) == (STORE.store_id, STORE.created_at, STORE.version)


def test_no_changes_leave_the_store_as_it_was():
    assert apply_changes(STORE, {}, "2026-02-01T00:00:00.000Z") is STORE


@pytest.mark.parametrize("field", ["store_id", "created_at", "version"])
def test_identity_and_history_are_not_editable(field):
    with pytest.raises(ValueError, match="not editable"):
        apply_changes(STORE, {field: "x"}, "2026-02-01T00:00:00.000Z")
