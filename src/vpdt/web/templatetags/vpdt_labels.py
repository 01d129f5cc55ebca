"""Template filters naming internal codes for people, from the one catalogue (vpdt.core.labels)."""

from __future__ import annotations

from django import template

from vpdt.core import labels

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return labels.action_label(code)


@register.filter
def object_label(code: str) -> str:
    return labels.object_label(code)


@register.filter
def role_label(code: str) -> str:
    return labels.role_label(code)


@register.filter
def role_labels(codes) -> str:
    """A list of role codes, named: "Văn thư, Lãnh đạo phòng/đơn vị"."""
    if not codes:
        return ""
    if isinstance(codes, str):
        codes = [codes]
    return ", ".join(labels.role_label(str(c)) for c in codes)


@register.filter
def change_rows(detail) -> list:
    """[(field, before, after)] of an audit entry's before/after, fields and values named."""
    return labels.describe_change(detail if isinstance(detail, dict) else None)


@register.filter
def verdict_sentence(summary: str, fallback: str = "") -> str:
    return labels.verdict_sentence(summary, fallback)


@register.filter
def step_label(name: str) -> str:
    return labels.step_label(name)


@register.filter
def notification_label(kind: str) -> str:
    return labels.notification_label(kind)
