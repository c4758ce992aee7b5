"""Every module that declares routes, Lambda handlers, consumers, jobs and tables. Importing this module imports
them all: provisioning, the infra template, the OpenAPI document and the route index import it, so nothing is
left out. ``app.py`` does not: it registers the routes from the generated index (``chalicelib/routes.py``) and
imports a route's domain on its first request."""

from __future__ import annotations

import importlib

ROUTE_MODULES = (
    "chalicelib.platform.api", "chalicelib.identity.api", "chalicelib.identity.partners_api",
    "chalicelib.stores.api", "chalicelib.members.api", "chalicelib.members.imports_api", "chalicelib.points.api",
    "chalicelib.tiers.api", "chalicelib.purchases.api", "chalicelib.wallet.api", "chalicelib.counter.api",
    "chalicelib.audit.api", "chalicelib.stats.api", "chalicelib.platform.jobs_api", "chalicelib.feedback.api",
    "chalicelib.mall.api", "chalicelib.media.api", "chalicelib.agreements.api",
    "chalicelib.coupons.api", "chalicelib.notifications.api", "chalicelib.membership.api", "chalicelib.giftcards.api",
    "chalicelib.catalog.api",
)  # fmt: skip

for _module in ROUTE_MODULES:
    importlib.import_module(_module)
