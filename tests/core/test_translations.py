"""The English catalogue is complete, and the committed .mo is compiled from the committed .po."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import vpdt

MESSAGES = Path(vpdt.__file__).parent / "locale" / "en" / "LC_MESSAGES"
FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$')


def entries(text: str) -> list[dict]:
    """The .po's entries (obsolete ones left out), each with its flags, context, msgid and msgstr(s)."""
    found = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry, key = {"flags": set(), "msgstr": {}}, None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry = None
                break
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif m := FIELD.match(line):
                key, value = m.group(1), ast.literal_eval(m.group(2))
                if key.startswith("msgstr"):
                    entry["msgstr"][key] = value
                else:
                    entry[key] = value
            else:
                assert line.startswith('"'), line
                if key.startswith("msgstr"):
                    entry["msgstr"][key] += ast.literal_eval(line)
                else:
                    entry[key] += ast.literal_eval(line)
        if entry is not None:
            found.append(entry)
    return found


def catalogue() -> list[dict]:
    return [e for e in entries((MESSAGES / "django.po").read_text(encoding="utf-8")) if e["msgid"]]


def test_every_english_message_is_translated_and_none_is_fuzzy():
    messages = catalogue()
    assert len(messages) > 300
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    for e in messages:  # placeholders survive translation
        wanted = set(re.findall(r"%\(\w+\)s", e["msgid"]))
        for text in e["msgstr"].values():
            assert set(re.findall(r"%\(\w+\)s", text)) == wanted, e["msgid"]


def test_the_compiled_catalogue_matches_the_po():
    with (MESSAGES / "django.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for e in catalogue():
        context = e.get("msgctxt")
        if "msgid_plural" in e:
            assert mo.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr"]["msgstr[0]"]
            assert mo.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr"]["msgstr[1]"]
        elif context:
            assert mo.pgettext(context, e["msgid"]) == e["msgstr"]["msgstr"], e["msgid"]
        else:
            assert mo.gettext(e["msgid"]) == e["msgstr"]["msgstr"], e["msgid"]
