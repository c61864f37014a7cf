"""Every string the code and templates mark for translation has an Indonesian translation.

The strings are extracted as ``makemessages`` does (xgettext with Django's keywords, templates
through Django's own ``templatize``), into a temporary folder: the committed catalogue is only
read, never rewritten. A string marked through an alias that xgettext does not know
(``gettext_lazy as _lazy``) is not extracted and so never translated: such aliases are refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "locale/id/LC_MESSAGES/django.po"
SOURCE_DIRS = ("rangkul", "config")
# Django's makemessages keywords for Python, after xgettext's defaults (_, gettext, ngettext).
KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]
TRANSLATION_FUNCTIONS = {"gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
ALIAS = re.compile(r"from django\.utils\.translation import [^\n]*\b(\w*gettext\w*) as (\w+)")


def _sources() -> list[Path]:
    files = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def _templates() -> list[Path]:
    return sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("rangkul/*/templates/**/*.html"))


def _extract(tmp_path: Path) -> polib.POFile:
    xgettext = shutil.which("xgettext")
    if xgettext is None:
        pytest.fail("xgettext not found: install GNU gettext (Debian package `gettext`).")
    inputs = [str(path) for path in _sources()]
    for index, template in enumerate(_templates()):
        converted = tmp_path / f"template_{index}.py"
        converted.write_text(templatize(template.read_text(encoding="utf-8"), origin=str(template)), encoding="utf-8")
        inputs.append(str(converted))
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(inputs), encoding="utf-8")
    output = tmp_path / "extracted.pot"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            xgettext,
            "--language=Python",
            "--from-code=UTF-8",
            "--force-po",
            "--no-wrap",
            *(f"--keyword={keyword}" for keyword in KEYWORDS),
            f"--files-from={listing}",
            f"--output={output}",
        ],
        check=True,
        capture_output=True,
    )
    return polib.pofile(str(output))


def _key(entry: polib.POEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def test_the_indonesian_catalogue_translates_every_marked_string(tmp_path: Path) -> None:
    extracted = [entry for entry in _extract(tmp_path) if entry.msgid]
    assert len(extracted) > 500, "extraction found too few strings: is xgettext reading the sources?"
    catalogue = polib.pofile(str(CATALOGUE))
    translated = {
        _key(entry)
        for entry in catalogue
        if not entry.obsolete
        and "fuzzy" not in entry.flags
        and (
            all(text.strip() for text in entry.msgstr_plural.values()) and bool(entry.msgstr_plural)
            if entry.msgid_plural
            else bool(entry.msgstr.strip())
        )
    }
    missing = sorted(
        f"{entry.msgid!r} ({entry.occurrences[0][0] if entry.occurrences else '?'})"
        for entry in extracted
        if _key(entry) not in translated
    )
    assert not missing, f"{len(missing)} strings have no Indonesian translation in {CATALOGUE.name}:\n" + "\n".join(
        missing
    )


def test_the_catalogue_has_each_string_once() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    seen: dict[tuple[str, str], int] = {}
    for entry in catalogue:
        if not entry.obsolete:
            seen[_key(entry)] = seen.get(_key(entry), 0) + 1
    assert not [key for key, count in seen.items() if count > 1]


def test_translation_functions_are_not_imported_under_other_names() -> None:
    """``makemessages`` knows ``_``, ``gettext``, ``gettext_lazy``… by name; ``_lazy("…")`` is never extracted."""
    aliases = []
    for path in _sources():
        for function, alias in ALIAS.findall(path.read_text(encoding="utf-8")):
            if alias != "_" and alias not in TRANSLATION_FUNCTIONS:
                aliases.append(f"{path.relative_to(ROOT)}: {function} as {alias}")
    assert not aliases, "translation functions under names xgettext does not know:\n" + "\n".join(aliases)
