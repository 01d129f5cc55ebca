"""Migrations are part of the design: every model change has its migration."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db(databases=["default", "hub"])
def test_no_model_change_is_missing_a_migration():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"a model change has no migration (exit {exc.code}): run `vpdt manage makemigrations`")
