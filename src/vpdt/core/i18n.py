"""The Vietnamese text of a translatable label, whatever language the page is in.

Labels (choices, roles) are marked for translation and their msgids are the Vietnamese
text. What is stored (audit details) or joined into a message that stays Vietnamese
(service errors) must not follow the language of the person who happened to act.
"""

from __future__ import annotations

from django.utils import translation


def vietnamese(text) -> str:
    """`text` (a lazy label or a plain str) as a real str, untranslated: its Vietnamese msgid."""
    with translation.override(None):
        return str(text)
