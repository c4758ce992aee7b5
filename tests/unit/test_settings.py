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


def test_test_password_hashing_is_refused_off_the_emulator(monkeypatch):
    monkeypatch.setenv("LOYALTY_PASSWORD_HASHING", "test")
    monkeypatch.setenv("LOYALTY_STORAGE", "emulator")
    assert load_settings().password_hashing == "test"
    monkeypatch.setenv("LOYALTY_STORAGE", "aws")
    with pytest.raises(SettingsError, match="LOYALTY_PASSWORD_HASHING=test is for test stacks on the emulator only"):
        load_settings()


def test_a_test_stack_hashes_at_small_argon2_costs_and_still_verifies_standard_hashes():
    from chalicelib.identity.passwords import make_hasher

    standard, test = make_hasher("standard"), make_hasher("test")
    assert test.hash("correct horse battery").startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert test.verify(standard.hash("correct horse battery"), "correct horse battery")  # a hash keeps its costs
