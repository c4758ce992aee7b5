import pytest

from chalicelib.shared.crypto import KeyUnavailable, LocalKeyring, Sealer, lookup_hash


@pytest.fixture
def ring(tmp_path):
    return LocalKeyring(tmp_path / "master.key")


def test_a_sealed_field_opens_with_its_owners_key(ring):
    key, wrapped = ring.new_data_key()
    sealed = Sealer("mb_1", key).seal("phone", "+8613812345678")
    assert "13812345678" not in sealed
    assert Sealer("mb_1", ring.unwrap(wrapped)).open("phone", sealed) == "+8613812345678"


def test_a_sealed_value_does_not_open_for_another_member_or_field(ring):
    key, _ = ring.new_data_key()
    sealed = Sealer("mb_1", key).seal("phone", "+8613812345678")
    with pytest.raises(KeyUnavailable):
        Sealer("mb_2", key).open("phone", sealed)
    with pytest.raises(KeyUnavailable):
        Sealer("mb_1", key).open("email", sealed)


def test_another_members_key_does_not_open_it(ring):
    key, _ = ring.new_data_key()
    other, _ = ring.new_data_key()
    sealed = Sealer("mb_1", key).seal("phone", "+8613812345678")
    with pytest.raises(KeyUnavailable):
        Sealer("mb_1", other).open("phone", sealed)


def test_a_data_key_wrapped_by_another_master_key_is_unusable(ring, tmp_path):
    _, wrapped = LocalKeyring(tmp_path / "other.key").new_data_key()
    with pytest.raises(KeyUnavailable):
        ring.unwrap(wrapped)


def test_the_master_key_file_is_private_and_stable(tmp_path):
    path = tmp_path / "master.key"
    _, wrapped = LocalKeyring(path).new_data_key()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    LocalKeyring(path).unwrap(wrapped)


def test_lookup_hashes_are_keyed_stable_and_kind_separated(monkeypatch):
    first = lookup_hash("phone", "+8613812345678")
    assert first == lookup_hash("phone", "+8613812345678")
    assert first != lookup_hash("email", "+8613812345678")
    assert "13812345678" not in first
    from chalicelib.shared.settings import get_settings

    monkeypatch.setenv("LOYALTY_LOOKUP_HASH_KEY", "another-lookup-key-another-lookup-key-xx")
    get_settings.cache_clear()
    try:
        assert lookup_hash("phone", "+8613812345678") != first
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_batch_of_kms_data_keys_costs_one_kms_call_and_each_owner_keeps_a_key_of_their_own():
    import boto3
    from moto import mock_aws

    from chalicelib.shared.crypto import KmsKeyring

    with mock_aws():
        key_id = boto3.client("kms", region_name="cn-north-1").create_key()["KeyMetadata"]["KeyId"]
        ring = KmsKeyring(key_id)
        calls = []
        ring._kms.meta.events.register("before-send.kms", lambda request, **kw: calls.append(request))
        keys = ring.new_data_keys(3)
        assert len(calls) == 1
        assert len({plain for plain, _ in keys}) == 3
        for plain, wrapped in keys:
            assert ring.unwrap(wrapped) == plain
        sealed = Sealer("mb_1", keys[0][0]).seal("name", "张三")
        with pytest.raises(KeyUnavailable):
            Sealer("mb_1", keys[1][0]).open("name", sealed)  # another owner of the batch cannot open it
