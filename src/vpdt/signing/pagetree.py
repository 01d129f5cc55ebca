"""One page of a PDF found without reading every page object.

Signing reads one page: the last, where Decree 30 puts the signature block (or the first, for an
attachment's stamp). pypdf's `reader.pages` and pyHanko's page walk both read the page objects
before it: every page of a long letter, each parsed by pure Python (3 ms and 6.5 ms for 50
pages, docs/BENCHMARKS.md "Signing"). Each /Pages node's /Count says how many pages lie below it,
so the walk here enters each node from its nearer end and reads only the kids between that end
and the page: for the last page, one object per level.

Works on pypdf's and pyHanko's objects alike (both resolve an indirect reference with
`get_object()` and read a dictionary by key). A tree whose /Count does not match what lies below
raises `PageTreeError`: the callers then use their library's own walk.
"""

from __future__ import annotations

MAX_DEPTH = 64


class PageTreeError(ValueError):
    pass


# What a caller catches to fall back to its library's own walk: counts that do not hold, or a
# tree too broken to follow (a missing key, a value of the wrong kind).
UNUSABLE = (PageTreeError, KeyError, TypeError, ValueError, AttributeError)


def _is_pages(node) -> bool:
    kind = node.get("/Type")
    return kind == "/Pages" or (kind is None and "/Kids" in node)


def _count(kid) -> int:
    return int(kid["/Count"]) if _is_pages(kid) else 1


def _key(ref) -> tuple:
    return (ref.idnum, ref.generation)


def path_to(root_ref, page_ix: int) -> list[tuple[object, object]]:
    """[(reference, object)] from the page tree's root to the page with index `page_ix` (negative
    counts from the end), the page last."""
    root = root_ref.get_object()
    count = int(root["/Count"])
    if page_ix < 0:
        page_ix += count
    if not 0 <= page_ix < count:
        raise PageTreeError(f"page {page_ix} of {count}")
    path, first, seen = [(root_ref, root)], 0, {_key(root_ref)}
    while len(path) <= MAX_DEPTH:
        node = path[-1][1]
        kids = list(node["/Kids"])
        end = first + int(node["/Count"])
        from_end = end - page_ix <= page_ix - first
        pos = end if from_end else first
        for kid_ref in (reversed(kids) if from_end else kids):
            if not hasattr(kid_ref, "idnum") or _key(kid_ref) in seen:
                raise PageTreeError("a kid that is not an indirect object, or seen twice")
            kid = kid_ref.get_object()
            n = _count(kid)
            low = pos - n if from_end else pos
            if low <= page_ix < low + n:
                seen.add(_key(kid_ref))
                path.append((kid_ref, kid))
                if not _is_pages(kid):
                    return path
                first = low
                break
            pos = low if from_end else pos + n
        else:
            raise PageTreeError(f"page {page_ix} is not where the counts say")
    raise PageTreeError("page tree too deep")


def inherited(path, key: str, *, raw: bool = False):
    """The value of an inheritable page attribute (/Resources, /MediaBox, /CropBox, /Rotate): the
    page's own, else the nearest ancestor's; None without any. `raw` leaves references unresolved
    (pyHanko's `raw_get`)."""
    for _, node in reversed(path):
        if key in node:
            return node.raw_get(key) if raw else node[key]
    return None


def index_of(page_ref) -> int:
    """The index of the page `page_ref`, from its /Parent chain: at each level the kids before it
    are counted, or, when it lies in the later half, the kids after it taken from the node's /Count
    (a signature on the last page reads no other page)."""
    index, ref, node, seen = 0, page_ref, page_ref.get_object(), {_key(page_ref)}
    while "/Parent" in node:
        parent_ref = node.raw_get("/Parent")
        if not hasattr(parent_ref, "idnum") or _key(parent_ref) in seen or len(seen) > MAX_DEPTH:
            raise PageTreeError("a parent that is not an indirect object, seen twice, or too deep")
        seen.add(_key(parent_ref))
        parent = parent_ref.get_object()
        kids = list(parent["/Kids"])
        at = [k for k, kid in enumerate(kids) if hasattr(kid, "idnum") and _key(kid) == _key(ref)]
        if len(at) != 1:
            raise PageTreeError("a page tree node that is not among its parent's kids once")
        k = at[0]
        if k <= len(kids) // 2:
            index += sum(_count(kid.get_object()) for kid in kids[:k])
        else:
            index += int(parent["/Count"]) - _count(node) - sum(_count(kid.get_object()) for kid in kids[k + 1:])
        ref, node = parent_ref, parent
    return index
