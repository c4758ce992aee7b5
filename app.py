"""Composition root: settings, table binding, middleware and one blueprint per domain. No routes here."""

from chalice.app import Chalice

from chalicelib.audit import api as audit_api
from chalicelib.identity import api as identity_api
from chalicelib.identity import partners_api
from chalicelib.members import api as members_api
from chalicelib.platform import api as platform_api
from chalicelib.platform import handlers
from chalicelib.points import api as points_api
from chalicelib.purchases import api as purchases_api
from chalicelib.shared.db import bind_tables
from chalicelib.shared.http import install_http_conventions, install_preflight_routes
from chalicelib.shared.logs import logger
from chalicelib.shared.settings import get_settings
from chalicelib.stores import api as stores_api
from chalicelib.tiers import api as tiers_api

settings = get_settings()
bind_tables(settings.table_prefix, settings.region)

app = Chalice(app_name="loyalty")
app.api.binary_types = []
install_http_conventions(app)
app.register_blueprint(platform_api.bp)
app.register_blueprint(identity_api.bp)
app.register_blueprint(partners_api.bp)
app.register_blueprint(stores_api.bp)
app.register_blueprint(members_api.bp)
app.register_blueprint(points_api.bp)
app.register_blueprint(tiers_api.bp)
app.register_blueprint(purchases_api.bp)
app.register_blueprint(audit_api.bp)
app.register_blueprint(handlers.bp)
install_preflight_routes(app)
logger.debug("app ready", extra={"stage": settings.stage, "storage": settings.storage})
