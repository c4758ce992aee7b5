"""Words the platform writes for members in both of its languages: a ``Phrase`` is the Chinese wherever a string
goes, carrying its English for English pages (an entry's reason, a message's variable)."""

from __future__ import annotations


class Phrase(str):
    """Words the platform writes for members (an entry's reason): the Chinese, which the phrase is as a string,
    and the English (``en``), which English pages show. Joined with other text it is a plain string again."""

    en: str

    def __new__(cls, zh: str, en: str) -> Phrase:
        phrase = super().__new__(cls, zh)
        phrase.en = en
        return phrase

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return str(self), self.en


def english(reason: str) -> str | None:
    """A reason's English, when the platform wrote it (a ``Phrase``)."""
    return reason.en if isinstance(reason, Phrase) else None


def phrased(reason: str, *defaults: Phrase) -> str:
    """A reason as given, or the platform's phrase it is in either language (an API's default reason, which the
    English console fills in in English): kept with both."""
    return next((phrase for phrase in defaults if reason in (phrase, phrase.en)), reason)
