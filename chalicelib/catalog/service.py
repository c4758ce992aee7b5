"""The names members and staff read for the tills' category and brand codes (品类与品牌名称): set on the console by
head office, over the deployment's defaults (``LOYALTY_CATEGORY_NAMES``, ``LOYALTY_BRAND_NAMES`` and their ``_EN``), a
code's saved names winning. Read at most a minute ago by every process (one item); a save is seen at once by its own.
A bakery's walkthrough found its categories (bread, coffee) read as codes, and names settable only by a redeploy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.catalog.records import NAMES, CatalogRecord
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.db import Transaction
from chalicelib.shared.errors import Conflict
from chalicelib.shared.events import emit, new_event
from chalicelib.shared.settings import get_settings

Named = dict[str, dict[str, str]]  # code -> {"zh": name, "en": name}


class NamesChanged(Conflict):
    slug, title = "catalog-changed", "The names were saved by someone else meanwhile"


@dataclass(frozen=True)
class Names:
    """The names saved (over nothing) and the save they are."""

    categories: Named
    brands: Named
    saved: int


def _saved() -> Names:
    record = CatalogRecord.find(NAMES)  # read consistently
    if record is None:
        return Names({}, {}, 0)
    return Names(json.loads(record.categories), json.loads(record.brands), int(record.saved or 0))


SAVED: Cached[Names] = Cached(_saved, 60.0)


def _merged(defaults_zh: dict[str, str], defaults_en: dict[str, str], saved: Named) -> Named:
    merged = {code: {"zh": name, "en": defaults_en.get(code, name)} for code, name in defaults_zh.items()}
    merged |= {code: {"zh": name, "en": ""} for code, name in defaults_en.items() if code not in merged}
    return merged | saved


def catalogue(fresh: bool = False) -> dict[str, Any]:
    """Every code with a name (the deployment's and those saved, a saved one winning), and the save they are: as read
    at most a minute ago, or ``fresh`` (what is saved: to edit them, or to keep a name as its code for good)."""
    settings = get_settings()
    saved = SAVED.get() if not fresh else _fresh()
    return {
        "categories": _merged(settings.category_names, settings.category_names_en, saved.categories),
        "brands": _merged(settings.brand_names, settings.brand_names_en, saved.brands),
        "version": saved.saved,
    }


def category_names(zh: bool) -> dict[str, str]:
    """Each category code's name in the language (Chinese when ``zh``), English falling back to the Chinese."""
    return _in(catalogue()["categories"], zh)


def brand_names(zh: bool) -> dict[str, str]:
    return _in(catalogue()["brands"], zh)


def _in(named: Named, zh: bool) -> dict[str, str]:
    return {code: (names["zh"] if zh else names.get("en") or names["zh"]) for code, names in named.items()}


def codes_of(named: Named) -> dict[str, str]:
    """Each code of ``named`` (a catalogue's ``categories`` or ``brands``) by any of its names, in either language.
    Callers keeping a code for good read the catalogue ``fresh`` (a name saved a moment ago in another process)."""
    return {name: code for code, names in named.items() for name in names.values() if name}


def _fresh() -> Names:
    names = _saved()
    SAVED.set(names)
    return names


def save(categories: Named, brands: Named, version: int, actor: str) -> dict[str, Any]:
    """Replace the names saved, on the save ``version`` read (409 ``catalog-changed`` when another save came since);
    announced, so the audit log says who named what."""
    now = clock.iso(clock.now())
    record = CatalogRecord(NAMES, categories=json.dumps(categories, ensure_ascii=False, sort_keys=True),
                           brands=json.dumps(brands, ensure_ascii=False, sort_keys=True), saved=version + 1,
                           updated_at=now, updated_by=actor)  # fmt: skip
    tx = Transaction()
    condition = CatalogRecord.kind.does_not_exist() if version == 0 else CatalogRecord.saved == version
    tx.put(record, condition=condition, on_fail=NamesChanged("Read the names again: another save came first"))
    emit(tx, new_event("catalog.names-changed", "catalog/names", {
        "categories": sorted(categories), "brands": sorted(brands), "version": version + 1}))  # fmt: skip
    tx.commit()
    SAVED.set(Names(categories, brands, version + 1))
    return catalogue()
