"""Faces in one place: the pages for people live in vpdt.web; domain apps keep models and services.

(The hub is a separate deployable whose HTTP API is for systems: its views are not pages.
Which app may import which is checked by the import contracts of `make lint`.)
"""

from __future__ import annotations

from pathlib import Path

import vpdt

SRC = Path(vpdt.__file__).parent
DOMAIN_APPS = ["core", "directory", "records", "workflow", "signing", "exchange", "search"]
PAGE_PARTS = ["views.py", "views", "urls.py", "forms.py", "templates", "static", "context.py", "templatetags"]


def test_domain_apps_hold_no_pages():
    found = [f"{app}/{part}" for app in DOMAIN_APPS for part in PAGE_PARTS if (SRC / app / part).exists()]
    assert found == []


def test_every_template_and_static_file_of_the_pages_is_under_web():
    templates = {p.parent.name for p in SRC.glob("*/templates/*/*.html")}
    assert templates == {"web"}
    static_apps = {p.relative_to(SRC).parts[0] for p in SRC.glob("*/static/**/*") if p.is_file()}
    assert static_apps == {"web"}
