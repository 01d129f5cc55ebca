"""API bearer tokens live with the person (vpdt.directory.models.ApiToken, table api_apitoken):
their own page lists and revokes them. Names kept here for the callers of the API."""

from vpdt.directory.models import ApiToken, hash_token

__all__ = ["ApiToken", "hash_token"]
