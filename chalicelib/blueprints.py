"""Every blueprint of the app, in registration order. Importing this module imports every route, handler and
consumer, and so declares every table: provisioning imports it too, so no table is ever left out."""

from __future__ import annotations

from chalicelib.audit import api as audit_api
from chalicelib.counter import api as counter_api
from chalicelib.identity import api as identity_api
from chalicelib.identity import partners_api
from chalicelib.members import api as members_api
from chalicelib.members import imports_api
from chalicelib.platform import api as platform_api
from chalicelib.platform import handlers, jobs_api
from chalicelib.points import api as points_api
from chalicelib.purchases import api as purchases_api
from chalicelib.stats import api as stats_api
from chalicelib.stores import api as stores_api
from chalicelib.tiers import api as tiers_api
from chalicelib.wallet import api as wallet_api

BLUEPRINTS = (
    platform_api.bp, identity_api.bp, partners_api.bp, stores_api.bp, members_api.bp, imports_api.bp, points_api.bp,
    tiers_api.bp, purchases_api.bp, wallet_api.bp, counter_api.bp, audit_api.bp, stats_api.bp, jobs_api.bp, handlers.bp,
)  # fmt: skip
