"""The catalogue's names: the API contract."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.shared.fields import Trimmed
from chalicelib.shared.http import Input, Schema

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Trimmed]  # as the tills
# send them in a purchase's lines (any text of up to 64 characters: "Hot Drinks")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), Trimmed]
EnglishName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), Trimmed]
MOST = 300  # codes of each kind


class NamesIn(Input):
    """A code's names: the Chinese members read, and the English (empty: the Chinese)."""

    zh: Name = Field(description="the name in Chinese (面包), 1-20 characters")
    en: EnglishName = Field(default="", description="the name in English (bread); empty: the Chinese")


class CatalogIn(Input):
    """Every code's names, replacing those saved; `version` the save they were read at (0: none yet)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"categories": {"bread": {"zh": "面包", "en": "bread"}, "coffee": {"zh": "咖啡", "en": "coffee"}},
         "brands": {}, "version": 0}]})  # fmt: skip

    categories: dict[Code, NamesIn] = Field(max_length=MOST, description="category codes exactly as the tills send "
                                            "them, with their names (品类名称)")  # fmt: skip
    brands: dict[Code, NamesIn] = Field(max_length=MOST, description="brand codes with their names (品牌名称)")
    version: int = Field(ge=0, description="the `version` the names were read at: a save made since is 409")


class Names(Schema):
    """A code's names."""

    zh: str = Field(description="the name in Chinese")
    en: str = Field(description="the name in English (empty: the Chinese is read)")


class Catalog(Schema):
    """The names of the tills' codes: the deployment's, and those saved on the console over them."""

    categories: dict[str, Names] = Field(description="each category code with its names")
    brands: dict[str, Names] = Field(description="each brand code with its names")
    version: int = Field(description="how many saves: send it back to save again")
