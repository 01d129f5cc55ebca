"""A person's saved filters: the filter set of a list (its query string) under a name.

Only the lists' own filter keys are kept (nothing else rides along in a saved link), and a
person keeps at most MAX_PER_PERSON of them. Personal preferences: not audited.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction

from vpdt.core.errors import InvalidInput, NotFound
from vpdt.core.prepared import Read
from vpdt.workflow.models import SavedFilter

KEYS = ("q", "urgency", "state", "sort", "register", "type", "issuer", "from", "to", "unread", "year")
MAX_PER_PERSON = 30
NAME_MAX = 60


def clean_query(query: str) -> str:
    """The list filters of `query` only, without paging or anything else."""
    pairs = [(k, v.strip()) for k, v in parse_qsl(query or "", keep_blank_values=False) if k in KEYS and v.strip()]
    return urlencode(pairs)[:1000]


_FILTERS = Read(lambda user_id, path: SavedFilter.objects.filter(user_id=user_id, path=path), user_id=int, path=str)


def filters_for(user, path: str) -> list[SavedFilter]:
    """The person's saved filters of the list at `path` (every list page: prepared, written out once)."""
    return _FILTERS.instances(user_id=user.pk, path=path)


def save_filter(user, path: str, name: str, query: str) -> SavedFilter:
    """Saves (or, under the same name, replaces) the filter set of the list at `path`."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Đặt tên cho bộ lọc.", code="NAME_REQUIRED")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"Tên bộ lọc dài tối đa {NAME_MAX} ký tự.", code="NAME_TOO_LONG")
    query = clean_query(query)
    if not query:
        raise InvalidInput("Chưa có điều kiện lọc nào để lưu: chọn bộ lọc trước.", code="EMPTY_FILTER")
    with transaction.atomic():
        found = SavedFilter.objects.filter(user=user, path=path, name=name).first()
        if found is not None:
            found.query = query
            found.save(update_fields=["query"])
            return found
        if SavedFilter.objects.filter(user=user).count() >= MAX_PER_PERSON:
            raise InvalidInput(f"Mỗi người lưu tối đa {MAX_PER_PERSON} bộ lọc: xóa bớt bộ lọc cũ.",
                               code="TOO_MANY_FILTERS")
        return SavedFilter.objects.create(user=user, path=path, name=name, query=query)


def delete_filter(user, pk: int) -> SavedFilter:
    found = SavedFilter.objects.filter(user=user, pk=pk).first()
    if found is None:
        raise NotFound("Không tìm thấy bộ lọc.")
    found.delete()
    return found
