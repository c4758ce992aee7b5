import pytest

from chalicelib.identity.rules import PERMISSIONS, Permission, Role, ends_sessions, grant_of


def test_admin_may_do_everything():
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)


@pytest.mark.parametrize("role", [Role.CASHIER, Role.MARKETING, Role.FINANCE])
def test_only_some_roles_read_full_phone_numbers(role):
    assert Permission.PII_READ not in PERMISSIONS[role]


def test_customer_service_answers_erasure_requests_and_cashiers_do_not():
    assert Permission.MEMBERS_ERASE in PERMISSIONS[Role.CUSTOMER_SERVICE]
    assert Permission.MEMBERS_ERASE not in PERMISSIONS[Role.CASHIER]


def test_only_admins_manage_staff_and_partners():
    for role in Role:
        managing = {Permission.STAFF_ADMIN, Permission.PARTNERS_ADMIN} & PERMISSIONS[role]
        assert bool(managing) == (role is Role.ADMIN)


def test_a_grant_unites_its_roles():
    grant = grant_of(["cashier", "finance"])
    assert grant.may(Permission.MEMBERS_REGISTER)
    assert grant.may(Permission.AUDIT_READ)
    assert not grant.may(Permission.MEMBERS_WRITE)


def test_store_scope():
    scoped = grant_of(["store_manager"], ["SH-001"])
    assert scoped.covers_store("SH-001")
    assert not scoped.covers_store("BJ-001")
    assert not scoped.covers_store(None)
    assert grant_of(["admin"]).covers_store(None)


def test_unknown_roles_are_refused():
    with pytest.raises(ValueError, match="janitor"):
        grant_of(["janitor"])


ACCOUNT = {"roles": ["cashier"], "stores": ["SH-001"], "status": "active"}


@pytest.mark.parametrize("change", [{"roles": ["store_manager"]}, {"stores": []}, {"status": "disabled"}])
def test_a_change_of_the_grant_or_status_ends_the_sessions(change):
    assert ends_sessions(ACCOUNT, {**ACCOUNT, **change})


def test_an_unchanged_grant_keeps_the_sessions():
    assert not ends_sessions(ACCOUNT, dict(ACCOUNT))


def test_only_admins_import_member_files():
    for role in Role:
        assert (Permission.MEMBERS_IMPORT in PERMISSIONS[role]) == (role is Role.ADMIN)


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        (Permission.REPORTS_READ, {Role.STORE_MANAGER, Role.MARKETING, Role.FINANCE, Role.ADMIN}),
        (Permission.JOBS_RUN, {Role.ADMIN}),
        (Permission.FEEDBACK_READ, {Role.STORE_MANAGER, Role.CUSTOMER_SERVICE, Role.ADMIN}),
        (Permission.FEEDBACK_REPLY, {Role.STORE_MANAGER, Role.CUSTOMER_SERVICE, Role.ADMIN}),
        (Permission.WALLET_PAY, {Role.CASHIER, Role.STORE_MANAGER, Role.CUSTOMER_SERVICE, Role.ADMIN}),
        (Permission.WALLET_REFUND, {Role.STORE_MANAGER, Role.CUSTOMER_SERVICE, Role.ADMIN}),
    ],
)
def test_the_console_permissions_go_to_the_roles_that_need_them(permission, roles):
    assert {role for role in Role if permission in PERMISSIONS[role]} == roles


def test_every_role_and_permission_has_a_chinese_and_an_english_label():
    from chalicelib.identity.rules import PERMISSION_LABELS, ROLE_LABELS

    assert set(ROLE_LABELS) == set(Role)
    assert set(PERMISSION_LABELS) == set(Permission)
    assert all(zh and en for zh, en in [*ROLE_LABELS.values(), *PERMISSION_LABELS.values()])
