"""The catalogue's names: read by any staff, set by those who write the rules (head office)."""

from __future__ import annotations

from chalicelib.catalog import service
from chalicelib.catalog.schemas import Catalog, CatalogIn
from chalicelib.identity.access import Staff
from chalicelib.identity.rules import Permission
from chalicelib.shared.http import Reply, RequestContext, endpoint

READ = Staff(Permission.STORES_READ)
WRITE = Staff(Permission.RULES_WRITE, chain=True)


@endpoint("/v1/catalog/names", "GET", summary="The names of the tills' category and brand codes (品类与品牌名称)",
          tag="catalog", access=READ, response=Catalog)  # fmt: skip
def get_names(ctx: RequestContext) -> Reply:
    """Each category and brand code with the names members and staff read for it: those saved on the console over the
    deployment's (`LOYALTY_CATEGORY_NAMES`, `LOYALTY_BRAND_NAMES`), with the `version` to save them again. The earn
    rules in words, coupons' rules, the sales mix and the member pages use them. One read."""
    return Reply(Catalog.model_validate(service.catalogue(fresh=True)))


@endpoint("/v1/catalog/names", "PUT", summary="Name the tills' category and brand codes", tag="catalog",
          access=WRITE, body=CatalogIn, response=Catalog, errors=(service.NamesChanged,))  # fmt: skip
def put_names(ctx: RequestContext) -> Reply:
    """Replace the names saved: every code named (a code left out falls back to the deployment's name, or reads as its
    code). Seen by every process within a minute. The audit log records who (`catalog.names-changed`).

    Errors: 422 for a code empty or over 64 characters, a name empty or over 20 characters, more than 300 codes, a
    control character; 409 `catalog-changed` when another save came after the `version` read."""
    body: CatalogIn = ctx.body
    named = {kind: {code: {"zh": n.zh, "en": n.en} for code, n in getattr(body, kind).items()}
             for kind in ("categories", "brands")}  # fmt: skip
    answer = service.save(named["categories"], named["brands"], body.version, ctx.caller.scope)
    return Reply(Catalog.model_validate(answer))
