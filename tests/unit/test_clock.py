from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chalicelib.shared import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_business_day_ends_at_midnight_business_time():
    assert clock.end_of_business_day(date(2026, 11, 11), SHANGHAI) == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)


def test_the_business_date_follows_the_business_zone():
    assert clock.business_date(datetime(2026, 11, 10, 16, 30, tzinfo=UTC), SHANGHAI) == date(2026, 11, 11)


def test_instants_are_written_in_utc_with_milliseconds():
    assert clock.iso(datetime(2026, 1, 2, 11, 4, 5, 123456, tzinfo=SHANGHAI)) == "2026-01-02T03:04:05.123Z"


def test_frozen_time_is_restored_afterwards():
    pinned = datetime(2030, 1, 1, tzinfo=UTC)
    with clock.frozen(pinned):
        assert clock.now() == pinned
    assert clock.now() != pinned
