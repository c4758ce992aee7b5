"""The domains' boundaries, read from the source (no import, no socket): a domain never imports another domain's
records (each package exposes what others may use), ``shared`` imports no domain, and the use cases take no HTTP
types (requests, If-Match, statuses are the api layer's)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chalicelib"
NOT_DOMAINS = {"shared", "ledger", "local", "platform"}  # the engine and the platform's plumbing
DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_DOMAINS)
USE_CASES = {"service.py", "rules.py", "jobs.py", "listeners.py", "book.py", "records.py", "model.py", "erasure.py"}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (a function's lazy import too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_never_imports_another_domain_s_records(domain):
    foreign = {f"chalicelib.{other}.records" for other in DOMAINS if other != domain}
    found = {f"{path.relative_to(PACKAGE)}: {name}" for path in modules(domain) for name in imported(path) & foreign}
    assert found == set()


def test_shared_imports_no_domain():
    domains = tuple(f"chalicelib.{domain}" for domain in DOMAINS)
    found = {
        f"{path.name}: {name}" for path in modules("shared") for name in imported(path) if name.startswith(domains)
    }
    assert found == set()


@pytest.mark.parametrize("domain", DOMAINS)
def test_use_cases_take_no_http_types(domain):
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in modules(domain)
        if path.name in USE_CASES
        for name in imported(path)
        if name == "chalice" or name.startswith(("chalice.", "chalicelib.shared.http"))
    }
    assert found == set()


def test_the_checks_see_every_domain():
    assert {"members", "identity", "points", "wallet", "coupons", "mall", "membership", "stats"} <= set(DOMAINS)
