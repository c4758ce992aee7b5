"""The README's permission matrix is the code's: every permission has a row, and its ticks are the roles that grant it
(found by a walkthrough: seven permissions were missing, so an owner could not tell who may do what)."""

import re
from pathlib import Path

from chalicelib.identity.rules import PERMISSIONS, Permission, Role

ROLES = [Role.CASHIER, Role.STORE_MANAGER, Role.MARKETING, Role.CUSTOMER_SERVICE, Role.FINANCE, Role.ADMIN]


def test_the_readme_matrix_lists_every_permission_with_the_roles_that_grant_it():
    text = (Path(__file__).parents[2] / "README.md").read_text()
    start = text.index("| permission | cashier | store_manager | marketing | customer_service | finance | admin |")
    rows = text[start : text.index("\n\n", start)].splitlines()[2:]
    seen = {}
    for row in rows:
        name, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        ticks = tuple(bool(cell) for cell in cells)
        for permission in re.findall(r"`([a-z]+:[a-z-]+)`", name):
            seen[permission] = ticks
    expected = {p.value: tuple(p in PERMISSIONS[role] for role in ROLES) for p in Permission}
    assert seen == expected
