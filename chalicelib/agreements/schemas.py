"""The agreements API contract: publishing a version, reading what is current, a member's acceptances."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.agreements.model import MAX_PARAGRAPH, MAX_PARAGRAPHS, MAX_TOTAL, Kind
from chalicelib.shared.fields import UTC_INSTANT, Trimmed
from chalicelib.shared.http import Input, Schema

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), Trimmed]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PARAGRAPH), Trimmed]
KIND = "which document: `terms` (会员协议, the membership agreement) or `privacy` (隐私政策, the privacy policy)"
VERSION = "the version's number: 1 for the first published, then 2, 3 … (never reused)"
REQUIRES = (
    "whether every member must accept this version (a material change); `false` for a correction that asks no one "
    "again (members who accepted an earlier version owe nothing). A document's first version always requires it"
)
CHANGES = (
    "what changed since the version before (本次更新要点), a point per item: what members asked to accept the version "
    "read first (PIPL asks that a change to how personal data is handled be told). Empty when not said"
)
MAX_CHANGES = 20
VIA = (
    "how it was given: `code-login` (ticked on the log-in page, joining or logging in with an SMS code), "
    "`password-login`, or `member-pages` (asked on the member pages after a new version)"
)


class AgreedVersion(Input):
    """A version the member accepts, as the document lists it."""

    kind: Kind = Field(description=KIND)
    version: int = Field(ge=1, le=1_000_000, description=VERSION)


Agreed = Annotated[list[AgreedVersion], Field(min_length=1, max_length=10)]


class AgreementPublish(Input):
    """A new version of a document, published at once: members read it from then on."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "privacy",
                    "title": "隐私政策",
                    "paragraphs": [
                        "本政策说明我们如何收集、使用和保护您的个人信息。",
                        "一、我们收集的信息：手机号、姓名、生日（选填）和消费记录，用于提供会员服务。",
                    ],
                    "requires_acceptance": True,
                    "changes": ["新增：生日礼所需的生日信息说明。", "调整：消费记录的保存期限改为三年。"],
                }
            ]
        }
    )

    kind: Kind = Field(description=KIND)
    title: Title = Field(description="the title members see (标题), up to 60 characters")
    paragraphs: list[Paragraph] = Field(
        min_length=1, max_length=MAX_PARAGRAPHS,
        description=f"the text, one paragraph per item (each on one line, up to {MAX_PARAGRAPH} characters; at most "
        f"{MAX_PARAGRAPHS} paragraphs and {MAX_TOTAL} characters in all)",
    )  # fmt: skip
    requires_acceptance: bool = Field(default=True, description=REQUIRES)
    changes: list[Paragraph] = Field(
        default_factory=list, max_length=MAX_CHANGES,
        description=f"{CHANGES}; at most {MAX_CHANGES} points of up to {MAX_PARAGRAPH} characters",
    )  # fmt: skip

    @model_validator(mode="after")
    def _not_too_long(self) -> Self:
        if sum(len(p) for p in self.paragraphs) > MAX_TOTAL:
            raise ValueError(f"the paragraphs hold more than {MAX_TOTAL} characters in all")
        return self


class Agreement(Schema):
    """A published version of a document."""

    kind: Kind = Field(description=KIND)
    version: int = Field(description=VERSION)
    title: str = Field(description="its title (标题)")
    paragraphs: list[str] = Field(description="its text, a paragraph per item")
    requires_acceptance: bool = Field(description=REQUIRES)
    changes: list[str] = Field(description=CHANGES)
    published_at: str = Field(description=f"when it was published; {UTC_INSTANT}")


class AgreementSummary(Schema):
    """A published version without its text, as a document's history lists it."""

    kind: Kind = Field(description=KIND)
    version: int = Field(description=VERSION)
    title: str = Field(description="its title (标题)")
    requires_acceptance: bool = Field(description=REQUIRES)
    changes: list[str] = Field(description=CHANGES)
    published_at: str = Field(description=f"when it was published; {UTC_INSTANT}")


class CurrentAgreements(Schema):
    """The current version of each published document: what the log-in page links to and asks members to accept.
    Empty while none is published (then joining asks for nothing)."""

    items: list[Agreement] = Field(description="the newest version of each document, `terms` first")


class AgreementHistory(Schema):
    """Every version of a document, newest first."""

    items: list[AgreementSummary] = Field(description="the versions, newest first")


class AgreementsAccept(Input):
    """The member accepts the current versions (同意)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"agreed": [{"kind": "terms", "version": 2}, {"kind": "privacy", "version": 3}]}]
        }
    )

    agreed: Agreed = Field(description="current versions: those the member owes (`due`), or every one")


class Acceptance(Schema):
    """A member's acceptance of a version: the proof kept."""

    kind: Kind = Field(description=KIND)
    version: int = Field(description=VERSION)
    accepted_at: str = Field(description=f"when it was given; {UTC_INSTANT}")
    via: Literal["code-login", "password-login", "member-pages"] = Field(description=VIA)


class MyAgreements(Schema):
    """What the member has accepted and what they must still accept (待同意)."""

    due: list[Agreement] = Field(
        description="the current versions the member must accept before going on (their pages ask); empty: none"
    )
    accepted: list[Acceptance] = Field(description="every acceptance the member gave, newest first")


class MemberAgreements(Schema):
    """A member's acceptances, as staff read them (proof of consent to the agreement and the privacy policy)."""

    due: list[AgreementSummary] = Field(description="the current versions the member has still to accept")
    accepted: list[Acceptance] = Field(description="every acceptance, newest first")
