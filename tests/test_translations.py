"""Every message shown to a user has a Russian and a Kazakh translation, and placeholders survive translation."""

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from coop import ROOT

TRANSLATIONS = ROOT / "coop" / "translations"
LANGUAGES = ("ru", "kk")
METHOD_MAP = [("coop/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def extracted_messages() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}},
        directory_filter=lambda path: ".venv" not in path,
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return extracted_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(extracted, language):
    translated = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in catalogue(language) if message.id and message.string}
    missing = sorted(extracted - translated)
    assert missing == [], f"translate into {language}: " + "; ".join(missing[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        translations = [message.string] if isinstance(message.string, str) else list(message.string)
        for translation in translations:
            # A plural form may leave out the count the singular spells ("one" -> "бір"), but never add one.
            expected = set(PLACEHOLDER.findall(sources[-1]))
            found = set(PLACEHOLDER.findall(translation))
            assert found == expected or (len(sources) > 1 and found < expected), (language, sources[0])


def test_the_kazakh_catalogue_uses_kazakh_plural_forms():
    kazakh = catalogue("kk")
    assert kazakh.locale.language == "kk"
    assert kazakh.num_plurals == 2  # Babel's rule for kk: one, other


def test_the_kazakh_catalogue_is_written_in_cyrillic():
    """A Kazakh text without a Cyrillic letter but with English words is an English one left over."""
    names = {"coop"}  # the product's name stays as it is
    def text(message) -> str:  # a plural message has a text per form
        return message.string if isinstance(message.string, str) else " ".join(message.string)

    english_left = [
        message.id for message in catalogue("kk")
        if message.id and text(message) and not CYRILLIC.search(text(message))
        and set(re.findall(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", text(message)))) - names
    ]
    assert english_left == []
