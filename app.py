"""Composition root: settings, table binding, middleware and one blueprint per domain. No routes here."""

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

    from chalicelib.blueprints import BLUEPRINTS
    from chalicelib.shared.db import bind_tables
    from chalicelib.shared.http import install_http_conventions, install_preflight_routes
    from chalicelib.shared.logs import logger
    from chalicelib.shared.settings import get_settings

    settings = get_settings()
    bind_tables(settings.table_prefix, settings.region)

    app = Chalice(app_name="loyalty")
    app.api.binary_types = []
    install_http_conventions(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    install_preflight_routes(app)
logger.debug("app ready", extra={"stage": settings.stage, "storage": settings.storage})
