"""Composition root: settings, table binding, middleware, the routes of the index and the non-HTTP handlers.

Every route is registered here from the generated index (``chalicelib/routes.py``); a route's domain is imported
on its first request, so a cold start imports only what its request needs."""

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """What the import allocates lives as long as the process: collecting it meanwhile only spends CPU on a cold
    start (a third of this app's own import), and once frozen no later collection scans it again."""
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()


with collector_paused():
    from chalice.app import Chalice

    from chalicelib.platform import handlers
    from chalicelib.routes import ROUTES
    from chalicelib.shared.db import bind_tables
    from chalicelib.shared.http import install_http_conventions, install_preflight_routes, install_routes
    from chalicelib.shared.logs import logger
    from chalicelib.shared.settings import get_settings

    settings = get_settings()
    bind_tables(settings.table_prefix, settings.region)

    app = Chalice(app_name="loyalty")
    app.api.binary_types = []
    install_http_conventions(app)
    install_routes(app, ROUTES)
    app.register_blueprint(handlers.bp)
    install_preflight_routes(app, ROUTES)
logger.debug("app ready", extra={"stage": settings.stage, "storage": settings.storage})
