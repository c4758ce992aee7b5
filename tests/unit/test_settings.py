import pytest

from chalicelib.shared.settings import SettingsError, load_settings


def test_missing_settings_are_named(monkeypatch):
    monkeypatch.delenv("LOYALTY_TABLE_PREFIX")
    monkeypatch.delenv("LOYALTY_CURSOR_SECRET")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "LOYALTY_TABLE_PREFIX is missing" in str(caught.value)
    assert "LOYALTY_CURSOR_SECRET is missing" in str(caught.value)


def test_an_unknown_time_zone_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("LOYALTY_BUSINESS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="LOYALTY_BUSINESS_TIMEZONE is invalid"):
        load_settings()


def test_a_short_cursor_secret_is_refused(monkeypatch):
    monkeypatch.setenv("LOYALTY_CURSOR_SECRET", "short")
    with pytest.raises(SettingsError, match="LOYALTY_CURSOR_SECRET is invalid"):
        load_settings()


def test_cors_origins_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("LOYALTY_CORS_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().cors_origins == ("https://a.example", "https://b.example")
