"""The rows of a document list, written in Python (vpdt.web.templatetags.vpdt_lists), give the
markup the template gave; a document's choice labels come by lookup (core.models.ChoiceLabels);
a read-only request looks up the person's secret grants and delegations once (request memo)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories
from tests.workflow import walk
from vpdt.core import request_context
from vpdt.records.choices import Secrecy, State, Urgency
from vpdt.records.models import Document
from vpdt.web.templatetags.vpdt_lists import document_rows, options
from vpdt.workflow.delegation import principal_ids

# The row as web/_list.html wrote it with {% for %} and two includes, before it moved to Python.
TEMPLATE_ROW = Template("""{% load i18n %}{% for d in rows %}
    <tr class="{% if d.urgency %}urgent-row{% endif %}{% if d.unread %} unread-row{% endif %}"{% if d.unread %} data-unread="1"{% endif %}>
      <td class="pick-col"><input class="form-check-input" type="checkbox" name="ids" value="{{ d.pk }}" form="bulk-form" aria-label="{% blocktranslate with s=d.subject|truncatechars:60 %}Chọn văn bản: {{ s }}{% endblocktranslate %}"></td>
      <td class="d-none d-md-table-cell">{{ d.incoming_number_text|default:"—" }}</td>
      <td class="text-nowrap">{{ d.code|default:"—" }}</td>
      <td class="text-nowrap d-none d-md-table-cell">{{ d.issued_date|date:"d/m/Y"|default:"—" }}</td>
      <td>{% if d.unread %}<span class="unread-dot" data-testid="unread-marker"><span class="visually-hidden">{% translate "Chưa đọc" %}</span></span>{% endif %}{% if d.urgency %}<span class="badge badge-urgency-{{ d.urgency }} me-1">{{ d.get_urgency_display }}</span>{% endif %}{% if d.secrecy %}<span class="badge bg-dark me-1">{{ d.get_secrecy_display }}</span>{% endif %}<a href="{% url 'workflow:document' d.pk %}">{{ d.subject|truncatechars:140 }}</a>
        <div class="d-sm-none small text-muted">{{ d.get_state_display }}</div></td>
      <td class="d-none d-lg-table-cell small">{% if d.direction == "incoming" %}{{ d.issuer_name }}{% else %}{{ d.drafting_unit.name|default:"—" }}{% endif %}</td>
      <td class="small">{% with due=d.shown_due|default:d.due_date flag=d.deadline_flag %}{% if due %}<span class="deadline-{{ flag }} text-nowrap" data-testid="deadline">{{ due|date:"d/m/Y" }}{% if flag == "overdue" %} · {% translate "Quá hạn" %}{% elif flag == "due_soon" %} · {% translate "Sắp đến hạn" %}{% endif %}</span>{% else %}<span class="text-muted">—</span>{% endif %}{% endwith %}</td>
      <td class="d-none d-sm-table-cell"><span class="badge text-bg-light border">{{ d.get_state_display }}</span></td>
    </tr>{% endfor %}""")


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def rows(world):
    agency = world.agency
    long_subject = "Về việc <b>thử</b> & \"trích yếu\" rất dài " + "ôn tập " * 30
    made = [
        factories.document(agency, direction="incoming", state=State.REGISTERED, subject=long_subject,
                           issuer_name="Sở Tài chính <STC>", urgency=Urgency.URGENT, incoming_number=7,
                           issued_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 11, 20)),
        factories.document(agency, direction="outgoing", state=State.DRAFT, subject="Dự thảo",
                           drafting_unit=world.cds, secrecy=Secrecy.SECRET),
        factories.document(agency, direction="outgoing", state=State.APPROVED, subject="Không đơn vị",
                           due_date=dt.date(2026, 12, 3)),
        factories.document(agency, direction="incoming", state=State.IN_PROGRESS, subject="Trống",
                           issuer_name=""),
    ]
    docs = list(Document.objects.filter(pk__in=[d.pk for d in made]).select_related("drafting_unit").order_by("id"))
    flags = ["overdue", "ok", "due_soon", "ok"]
    for i, d in enumerate(docs):
        d.unread = i % 2 == 0
        d.shown_due = d.due_date
        d.deadline_flag = flags[i]
    return docs


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_rows_in_python_are_the_rows_the_template_wrote(rows, language):
    with translation.override(language):
        expected = _squeeze(TEMPLATE_ROW.render(Context({"rows": rows})))
        assert _squeeze(document_rows(rows)) == expected
    assert "&lt;b&gt;thử&lt;/b&gt; &amp; &quot;trích yếu&quot;" in expected  # escaped, not markup


def test_the_rows_change_with_what_they_show(rows):
    """Not a copy of one answer: unread, urgency, secrecy and the deadline each change the row."""
    html = document_rows(rows)
    assert html.count('data-unread="1"') == 2 and html.count("unread-dot") == 2
    assert "badge-urgency-1" in html and "Tối mật" in html
    assert "· Quá hạn" in html and "· Sắp đến hạn" in html and "20/11/2026" in html
    assert "Khẩn</span> <a " in html  # read as text, the badge and the subject stay two words
    rows[0].unread, rows[0].deadline_flag = False, "ok"
    again = document_rows(rows)
    assert again.count('data-unread="1"') == 1 and "· Quá hạn" not in again


def test_the_filter_options_select_the_chosen_one_and_escape_the_labels():
    html = options([(1, "Sổ <đến> 2026"), ("urgent", "Khẩn"), (3, "Ba")], "urgent")
    assert html == ('<option value="1">Sổ &lt;đến&gt; 2026</option><option value="urgent" selected>Khẩn</option>'
                    '<option value="3">Ba</option>')
    assert " selected" not in options([(1, "Một")], None)
    assert options([(1, "Một")], "1").count(" selected") == 1  # a query string's "1" is the id 1


def test_a_documents_labels_are_its_choices_labels_in_the_active_language(rows):
    d = rows[0]
    for state in State:
        d.state = state.value
        assert d.get_state_display() == str(state.label)
    d.state = State.REGISTERED
    vietnamese = d.get_state_display()
    with translation.override("en"):
        assert d.get_state_display() == str(State.REGISTERED.label) != vietnamese
    d.state = "no-such-state"  # not one of the choices: the value itself, as Django's own gives
    assert d.get_state_display() == "no-such-state"
    d.urgency = Urgency.URGENT
    assert d.get_urgency_display() == str(Urgency.URGENT.label)


def test_a_read_only_request_looks_up_grants_and_delegations_once(world, login):
    c = login(world.spec)
    walk.assigned(world)
    with CaptureQueriesContext(connection) as q:
        assert c.get("/").status_code == 200
    sql = [x["sql"] for x in q.captured_queries]
    assert sum("workflow_delegation" in s and "principal_id" in s for s in sql) == 1
    assert sum('"secret_grant"' in s and "LIMIT" in s for s in sql) == 1


def test_the_memo_lives_only_inside_a_read_only_request(world):
    calls = []

    def look():
        calls.append(1)
        return len(calls)

    assert request_context.remembered(("k",), look) == 1
    assert request_context.remembered(("k",), look) == 2  # no request: every call looks again
    token = request_context.open_memo()
    try:
        assert request_context.remembered(("k",), look) == 3
        assert request_context.remembered(("k",), look) == 3
        assert request_context.remembered(("other",), look) == 4
    finally:
        request_context.close_memo(token)
    assert request_context.remembered(("k",), look) == 5
    # outside a request, a delegation made a moment ago is seen at once
    assert principal_ids(world.spec) == [world.spec.pk]


def test_each_request_looks_again(world, login):
    """The memo is one request's: the next request sees a delegation made in between."""
    c = login(world.spec)
    for _ in range(2):
        with CaptureQueriesContext(connection) as q:
            assert c.get("/").status_code == 200
        assert sum("workflow_delegation" in x["sql"] and "principal_id" in x["sql"] for x in q.captured_queries) == 1


def test_a_document_page_asks_each_assignment_and_view_question_once(world, login):
    """Each button's check asks for the person's open assignment and whether they see the
    document; on the page (a GET) the same question is not sent to the database twice."""
    doc = walk.assigned(world)
    c = login(world.head)
    with CaptureQueriesContext(connection) as q:
        assert c.get(f"/van-ban/{doc.pk}/").status_code == 200
    asked = [(x["sql"]) for x in q.captured_queries
             if 'FROM "workflow_assignment"' in x["sql"] and "LIMIT 1" in x["sql"]
             or ('FROM "records_document"' in x["sql"] and x["sql"].startswith("SELECT 1 AS"))]
    assert asked and len(asked) == len(set(asked)), asked


@pytest.mark.parametrize("length", [59, 60, 61, 100, 140, 141])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_subjects_are_cut_as_truncatechars_cuts_them_at_every_length(world, length, form):
    """The row skips Truncator's walk for a short subject: the same text at, around and past
    both cuts (60 for the checkbox's label, 140 for the link), composed or not."""
    import unicodedata

    subject = unicodedata.normalize(form, ("Về việc ôn tập " * 20)[:length])
    doc = factories.document(world.agency, direction="incoming", state=State.REGISTERED, subject=subject)
    docs = list(Document.objects.filter(pk=doc.pk).select_related("drafting_unit"))
    for d in docs:
        d.unread, d.shown_due, d.deadline_flag = False, None, "ok"
    assert _squeeze(document_rows(docs)) == _squeeze(TEMPLATE_ROW.render(Context({"rows": docs})))
