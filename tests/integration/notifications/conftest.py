"""Channel senders against local fakes and the in-process AWS emulator: each test starts from fresh settings,
senders and credentials."""

from collections.abc import Iterator

import pytest

from chalicelib.notifications.channels import aws, credentials, sender_for
from chalicelib.shared.settings import get_settings


def _forget() -> None:
    for cache in (get_settings, sender_for, credentials.provider_secret, credentials._secrets, aws.client):
        cache.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_senders() -> Iterator[None]:
    _forget()
    yield
    _forget()
