"""The backoff a consumer that must retry later gets from its queue: doubling, spread, capped, never before the
provider said."""

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.shared.events import BACKOFF_MOST, backoff_seconds


def test_each_receive_doubles_the_wait_until_an_hour():
    assert [backoff_seconds(n, None, 1.0) for n in range(1, 11)] == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]


def test_the_spread_draws_between_half_and_all_of_the_wait():
    assert backoff_seconds(3, None, 0.0) == 20
    assert backoff_seconds(3, None, 0.5) == 30


def test_a_provider_s_retry_after_is_a_floor_and_twelve_hours_the_ceiling():
    assert backoff_seconds(1, 30, 0.0) == 30
    assert backoff_seconds(1, 3_600, 1.0) == 3_600
    assert backoff_seconds(1, 100_000, 1.0) == 12 * 3_600


@given(st.integers(1, 100), st.one_of(st.none(), st.integers(0, 50_000)), st.floats(0, 1))
def test_a_wait_is_never_shorter_than_asked_nor_beyond_what_sqs_allows(receives, retry_after, spread):
    wait = backoff_seconds(receives, retry_after, spread)
    asked = min(retry_after or 0, 12 * 3_600)
    assert max(asked, 5) <= wait <= max(asked, BACKOFF_MOST)
