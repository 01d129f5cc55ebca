"""records is the only writer of its tables (issue 10, "one writer per table").

The test reads the source of every module under src/vpdt outside vpdt/records (and
outside migrations) and fails on a write to Document, Attachment, Recipient, Register or
DocumentLink rows: `Model.objects.create/bulk_create/get_or_create/update_or_create/...`,
`.update()`/`.delete()` on a queryset of those models (also through the reverse relations
`document.attachments`, `document.recipients`, ...), and `.save()`/`.delete()` on an object
known to be one of them (constructed with `Model(...)`, fetched with `Model.objects...get()`,
a parameter or a function annotated with the model, a loop over a queryset of them).
Reads (filter, get, exists, values, select_for_update().get()) are not flagged.

It is a static check, deliberately simple: it follows names within one function, not
across calls. Other apps write these rows through records.services (with a system actor
when no person acts).
"""

from __future__ import annotations

import ast
from pathlib import Path

import vpdt

SRC = Path(vpdt.__file__).resolve().parent
MODELS = {"Document", "Attachment", "Recipient", "Register", "DocumentLink"}
# Reverse relations onto those models (related_name), e.g. document.attachments.create(...).
RELATED = {"attachments", "recipients", "response_for", "registers", "documents", "copies_received", "responses"}
MANAGER_WRITES = {"create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "update", "delete",
                  "add", "set", "remove", "clear", "raw"}
INSTANCE_GETTERS = {"get", "first", "last", "latest", "earliest", "create", "get_or_create", "update_or_create",
                    "afirst", "aget"}
INSTANCE_WRITES = {"save", "delete", "asave", "adelete"}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "records" or "migrations" in rel.parts:
            continue
        yield path, rel


_INDEX: dict[str, dict[str, str]] = {}
_TREES: dict[Path, ast.Module] = {}


def _tree(path: Path) -> ast.Module:
    if path not in _TREES:
        _TREES[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return _TREES[path]


def _returns_index() -> dict[str, dict[str, str]]:
    """Every vpdt module's functions annotated to return one of the models: {module: {function: model}}."""
    if not _INDEX:
        for path in sorted(SRC.rglob("*.py")):
            rel = path.relative_to(SRC.parent).with_suffix("")
            dotted = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            _INDEX[dotted] = _Module(_tree(path), index={}).returns
    return _INDEX


class _Module:
    """What one module binds to the models: imported names, and modules that hold them."""

    def __init__(self, tree: ast.Module, index: dict | None = None):
        index = _returns_index() if index is None else index
        self.names: dict[str, str] = {}  # local name -> model
        self.module_aliases: set[str] = set()  # e.g. `from vpdt.records import models as rm`
        self.returns: dict[str, str] = {}  # function name -> model it is annotated to return
        self.modules: dict[str, dict[str, str]] = {}  # alias of another vpdt module -> its returns
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vpdt"):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if f"{node.module}.{alias.name}" in index:  # from vpdt.records import services
                        self.modules[local] = index[f"{node.module}.{alias.name}"]
                    elif alias.name in index.get(node.module, {}):  # from vpdt.records.services import x
                        self.returns[local] = index[node.module][alias.name]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in index:
                        self.modules[alias.asname] = index[alias.name]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "vpdt.records.models":
                for alias in node.names:
                    if alias.name in MODELS:
                        self.names[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module == "vpdt.records":
                for alias in node.names:
                    if alias.name == "models":
                        self.module_aliases.add(alias.asname or "models")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "vpdt.records.models" and alias.asname:
                        self.module_aliases.add(alias.asname)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
                model = self.annotation(node.returns)
                if model:
                    self.returns[node.name] = model

    def model(self, node) -> str | None:
        """The model a name or attribute designates (`Document`, `rm.Document`), else None."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if (isinstance(node, ast.Attribute) and node.attr in MODELS and isinstance(node.value, ast.Name)
                and node.value.id in self.module_aliases):
            return node.attr
        return None

    def annotation(self, node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):  # Document | None
            return self.annotation(node.left) or self.annotation(node.right)
        if isinstance(node, ast.Subscript):  # list[Document] is a collection, not an instance
            return None
        return self.model(node)


def _chain(node):
    """The receivers of a call chain, outermost first: a.b(...).c -> [a.b(...).c, a.b(...), a.b, a]."""
    out = []
    while True:
        out.append(node)
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return out


class _Function(ast.NodeVisitor):
    """Follows, within one function, which names hold model instances or querysets of them."""

    def __init__(self, module: _Module, rel: Path, found: list[str], outer: dict | None = None):
        self.m, self.rel, self.found = module, rel, found
        self.instances: dict[str, str] = dict(outer or {})
        self.collections: dict[str, str] = {}

    # --- what an expression is -------------------------------------------------------
    def queryset_model(self, node) -> str | None:
        """The model of a queryset/manager expression: Model.objects..., x.attachments..., rows."""
        for part in _chain(node):
            if isinstance(part, ast.Attribute) and part.attr in ("objects", "_default_manager"):
                model = self.m.model(part.value)
                if model:
                    return model
            if isinstance(part, ast.Attribute) and part.attr in RELATED:
                return {"attachments": "Attachment", "recipients": "Recipient", "response_for": "DocumentLink",
                        "registers": "Register", "documents": "Document", "copies_received": "Document",
                        "responses": "DocumentLink"}[part.attr]
            if isinstance(part, ast.Name) and part.id in self.collections:
                return self.collections[part.id]
        return None

    def instance_model(self, node) -> str | None:
        if isinstance(node, ast.Name):
            return self.instances.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "document":
            return "Document"  # item.document, message.document: the FK to Document
        if isinstance(node, ast.Subscript):  # get_or_create(...)[0], rows[0]
            inner = node.value
            if isinstance(inner, ast.Name) and inner.id in self.collections:
                return self.collections[inner.id]
            return self.instance_model(inner)
        if isinstance(node, ast.Call):
            model = self.m.model(node.func)
            if model:
                return model  # Model(...)
            if isinstance(node.func, ast.Name) and node.func.id in self.m.returns:
                return self.m.returns[node.func.id]
            if (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in self.m.modules and node.func.attr in self.m.modules[node.func.value.id]):
                return self.m.modules[node.func.value.id][node.func.attr]  # services.create_outgoing(...)
            if isinstance(node.func, ast.Attribute) and node.func.attr in INSTANCE_GETTERS:
                return self.queryset_model(node.func.value)
        return None

    def collection_model(self, node) -> str | None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "sorted", "set",
                                                                                                 "tuple"):
            return self.collection_model(node.args[0]) if node.args else None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            for elt in node.elts:
                model = self.instance_model(elt)
                if model:
                    return model
            return None
        if isinstance(node, ast.ListComp):
            return self.instance_model(node.elt)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in INSTANCE_GETTERS:
            return None
        return self.queryset_model(node)

    # --- bindings --------------------------------------------------------------------
    def bind(self, target, value) -> None:
        if isinstance(target, ast.Name):
            self.instances.pop(target.id, None)
            self.collections.pop(target.id, None)
            if value is None:
                return
            model = self.instance_model(value)
            if model:
                self.instances[target.id] = model
                return
            model = self.collection_model(value)
            if model:
                self.collections[target.id] = model
        elif isinstance(target, ast.Tuple | ast.List):
            # obj, created = Model.objects.get_or_create(...)
            if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                    and value.func.attr in ("get_or_create", "update_or_create") and target.elts):
                model = self.queryset_model(value.func.value)
                if model and isinstance(target.elts[0], ast.Name):
                    self.instances[target.elts[0].id] = model
                    return
            values = value.elts if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts) \
                else [None] * len(target.elts)
            for t, v in zip(target.elts, values, strict=True):
                self.bind(t, v)

    def visit_FunctionDef(self, node):
        inner = _Function(self.m, self.rel, self.found, self.instances)
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            model = self.m.annotation(arg.annotation) if arg.annotation is not None else None
            if model:
                inner.instances[arg.arg] = model
            elif arg.annotation is not None and isinstance(arg.annotation, ast.Subscript):
                model = self.m.annotation(arg.annotation.slice)
                if model:
                    inner.collections[arg.arg] = model
        for stmt in node.body:
            inner.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.bind(target, node.value)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        model = self.m.annotation(node.annotation)
        if model and isinstance(node.target, ast.Name):
            self.instances[node.target.id] = model
        elif node.value is not None:
            self.bind(node.target, node.value)

    def visit_For(self, node):
        self.visit(node.iter)
        model = self.collection_model(node.iter)
        if model and isinstance(node.target, ast.Name):
            self.instances[node.target.id] = model
        else:
            self.bind(node.target, None)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    def visit_comprehension_targets(self, generators):
        for gen in generators:
            model = self.collection_model(gen.iter)
            if model and isinstance(gen.target, ast.Name):
                self.instances[gen.target.id] = model

    def visit_ListComp(self, node):
        self.visit_comprehension_targets(node.generators)
        self.generic_visit(node)

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def visit_With(self, node):
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, item.context_expr)
        for stmt in node.body:
            self.visit(stmt)

    # --- writes ----------------------------------------------------------------------
    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in MANAGER_WRITES:
                model = self.queryset_model(func.value)
                if model and not (func.attr in ("add", "set", "remove", "clear") and not self._is_related(func.value)):
                    self.report(node, f"{model} rows written with .{func.attr}()")
            if func.attr in INSTANCE_WRITES:
                model = self.instance_model(func.value)
                if model:
                    self.report(node, f"a {model} saved/deleted with .{func.attr}()")
        self.generic_visit(node)

    @staticmethod
    def _is_related(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr in RELATED

    def report(self, node, what: str) -> None:
        self.found.append(f"vpdt/{self.rel}:{node.lineno}: {what}")


def writes_outside_records() -> list[str]:
    found: list[str] = []
    for path, rel in _modules():
        tree = _tree(path)
        module = _Module(tree)
        visitor = _Function(module, rel, found)
        for stmt in tree.body:
            visitor.visit(stmt)
    return found


def _scan(source: str) -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []
    visitor = _Function(_Module(tree), Path("example.py"), found)
    for stmt in tree.body:
        visitor.visit(stmt)
    return found


def test_only_records_writes_documents_attachments_and_recipients():
    found = writes_outside_records()
    assert not found, "Writes to records' tables outside vpdt.records (call records.services):\n" + "\n".join(found)


def test_the_check_sees_each_kind_of_write():
    source = '''
from vpdt.records.models import Attachment, Document, Recipient
from vpdt.records import models as rm

def a(document: Document):
    document.subject = "x"
    document.save()

def b(pk):
    Document.objects.filter(pk=pk).update(subject="x")

def c(doc):
    Attachment.objects.create(document=doc)

def d(doc):
    r = Recipient(document=doc)
    r.save()

def e(doc):
    for r in Recipient.objects.filter(document=doc):
        r.save(update_fields=["state"])

def f(doc):
    doc.recipients.all().delete()

def g(doc):
    locked = Document.objects.select_for_update().get(pk=doc.pk)
    locked.save()

def h(doc):
    rm.Recipient.objects.bulk_create([])

def i(doc):
    rows = list(Recipient.objects.filter(document=doc))
    for r in rows:
        r.delete()

def j(item):
    item.document.save()

def k(doc):
    obj, _ = Document.objects.get_or_create(pk=1)
    obj.save()

def m(user):
    from vpdt.records import services
    doc = services.create_outgoing(user, {})
    doc.save(update_fields=["state"])
'''
    found = _scan(source)
    lines = sorted(int(f.split(":")[1]) for f in found)
    assert lines == [7, 10, 13, 17, 21, 24, 28, 31, 36, 39, 42, 43, 48], found


def test_the_check_does_not_flag_reads():
    source = '''
from vpdt.records.models import Attachment, Document, Recipient

def a(document: Document, message):
    rows = list(Recipient.objects.filter(document=document).select_related("agency"))
    first = Document.objects.select_for_update().get(pk=document.pk)
    exists = Attachment.objects.filter(document=document).exists()
    names = document.attachments.values_list("name", flat=True)
    message.save()  # not a records model
    settings = {"a": 1}
    settings.update(b=2)
    recipients = {}
    recipients.update(x=1)
    return rows, first, exists, names
'''
    assert _scan(source) == []
