"""Are the catalogs complete? The check behind ``make translations`` and the test suite.

``python -m storefront.translations_check`` extracts every marked string from the code and
templates (``babel.cfg``), and reports each one that a catalog lacks, leaves untranslated or
marks fuzzy, each catalog entry nothing uses any more, a ``messages.pot`` that is out of
date, and a compiled ``.mo`` that differs from its ``.po``. It exits 1 if there is any.

``--fill-english`` first writes each English msgstr that is empty as its msgid: the code's
own words are English, so the English catalog says them as they are, and a new string
then needs only its Russian translation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "storefront" / "translations"
LANGUAGES = ("ru", "en")
# The same keywords as the Makefile's `pybabel extract`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None,
            "lazy_ngettext": (1, 2)}

MessageId = str | tuple[str, ...]


def extracted() -> set[MessageId]:
    """Every msgid the code and templates mark today (plurals as (singular, plural))."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[MessageId] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords=KEYWORDS):
        found.add(tuple(message) if isinstance(message, tuple | list) else message)
    return found


def catalog_path(language: str, suffix: str = "po") -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"messages.{suffix}"


def load(language: str) -> Catalog:
    with open(catalog_path(language), "rb") as file:
        return read_po(file, locale=language)


def _key(message) -> MessageId:
    return tuple(message.id) if isinstance(message.id, tuple | list) else message.id


def _text(message) -> str | tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else message.string


def _entries(catalog: Catalog) -> Iterator:
    return (message for message in catalog if message.id)


def problems(wanted: set[MessageId] | None = None) -> list[str]:
    """Everything that keeps the catalogs from being complete and current."""
    wanted = extracted() if wanted is None else wanted
    found: list[str] = []
    with open(TRANSLATIONS / "messages.pot", "rb") as file:
        template = {_key(m) for m in _entries(read_po(file))}
    if template != wanted:
        found.append("messages.pot is out of date: run `make translations`")
    for language in LANGUAGES:
        catalog = load(language)
        entries = {_key(m): m for m in _entries(catalog)}
        for msgid in sorted(wanted - set(entries), key=str):
            found.append(f"{language}: missing {msgid!r}")
        for msgid in sorted(set(entries) - wanted, key=str):
            found.append(f"{language}: no longer used {msgid!r}")
        for msgid, message in entries.items():
            strings = message.string if isinstance(message.string, tuple | list) else (
                message.string,)
            if msgid in wanted and (message.fuzzy or not all(strings)):
                found.append(f"{language}: untranslated {msgid!r}")
        found += _compiled_differs(language, catalog)
    return found


def _compiled_differs(language: str, catalog: Catalog) -> list[str]:
    path = catalog_path(language, "mo")
    if not path.exists():
        return [f"{language}: {path.name} is missing: run `make translations-compile`"]
    with open(path, "rb") as file:
        compiled = read_mo(file)
    source = {_key(m): _text(m) for m in _entries(catalog) if not m.fuzzy}
    built = {_key(m): _text(m) for m in _entries(compiled)}
    if source != built:
        return [f"{language}: {path.name} differs from the .po: run `make translations-compile`"]
    return []


def fill_english() -> int:
    """Give every empty English msgstr its msgid; returns how many were filled."""
    catalog = load("en")
    filled = 0
    for message in _entries(catalog):
        if isinstance(message.id, tuple | list):
            if not all(message.string):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(catalog_path("en"), "wb") as file:
        write_po(file, catalog, width=0, sort_by_file=True)
    return filled


def main(argv: list[str]) -> int:
    if "--fill-english" in argv:
        fill_english()
        return 0
    found = problems()
    for problem in found:
        sys.stderr.write(problem + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
