"""Every message shown to a user has a Russian translation, and placeholders survive translation."""

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from coop import ROOT

CATALOGUE = ROOT / "coop" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
METHOD_MAP = [("coop/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted_messages() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}},
        directory_filter=lambda path: ".venv" not in path,
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def test_every_message_has_a_russian_translation():
    with CATALOGUE.open("rb") as po_file:
        catalogue = read_po(po_file, locale="ru")
    translated = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in catalogue if message.id and message.string}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], "run `coop translate update` and translate: " + "; ".join(missing[:20])


def test_translations_keep_their_placeholders():
    with CATALOGUE.open("rb") as po_file:
        catalogue = read_po(po_file, locale="ru")
    for message in catalogue:
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        translation = message.string if isinstance(message.string, str) else message.string[0]
        placeholders = set(re.findall(r"%\(\w+\)[sd]", source))
        assert placeholders == set(re.findall(r"%\(\w+\)[sd]", translation)), source
