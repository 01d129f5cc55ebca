"""FastRenderer writes Django's widget markup byte for byte: each widget rendered by it and by
Django's own template renderer, with values, choices, groups, attributes and text to escape."""

import datetime as dt
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from vpdt.web import renderer as fast
from vpdt.web.renderer import FastRenderer

CHOICES = [("", _("— chọn đơn vị hoặc cán bộ —")), (_("Đơn vị"), [("u:1", "Phòng <Tổng hợp> & \"Hành chính\""),
                                                                   ("u:2", "Văn phòng")]),
           ("Cán bộ", [("p:3", mark_safe("Nguyễn <b>A</b>")), (4, "Trần 'B'")]), (5, 1234567)]


class Sample(forms.Form):
    main = forms.ChoiceField(choices=CHOICES, widget=forms.Select(attrs={"id": "assign-main", "class": "form-select",
                                                                         "data-x": True, "data-off": False}))
    many = forms.MultipleChoiceField(choices=CHOICES[1:], required=False, widget=forms.SelectMultiple)
    co = forms.MultipleChoiceField(choices=CHOICES[1:], required=False, widget=forms.CheckboxSelectMultiple)
    one = forms.ChoiceField(choices=[("a", "Một"), ("b", "<Hai>")], widget=forms.RadioSelect)
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": 'Nhập "số" <ký hiệu>'}))
    number = forms.IntegerField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False)
    mail = forms.EmailField(required=False)


BOUND = [None, {"main": "u:1", "many": ["u:2", "4"], "co": ["p:3", "5"], "one": "b", "text": "a&b",
                "number": "12", "day": "2026-12-03", "when": "03/12/2026 08:30", "hidden": '"x"',
                "secret": "<pw>", "agree": "on", "mail": "x@y.vn"},
         {"main": "nope", "co": ["u:9"], "number": "x"}]


@pytest.mark.parametrize("data", BOUND)
def test_every_widget_renders_as_djangos_templates(data):
    initial = {"text": "đầu", "number": 7, "day": dt.date(2026, 12, 3), "co": ["u:2"]}
    theirs, ours = Sample(data, initial=initial, renderer=DjangoTemplates()), Sample(data, initial=initial,
                                                                                   renderer=FastRenderer())
    for name in Sample.base_fields:
        assert str(ours[name]) == str(theirs[name]), name
        for o, t in zip(ours[name].subwidgets, theirs[name].subwidgets, strict=True):
            assert o.tag() == t.tag() and o.tag(wrap_label=True) == t.tag(wrap_label=True), name
    assert ours.as_div() == theirs.as_div()


def test_it_is_the_renderer_in_use_and_no_template_overrides_its_names():
    assert settings.FORM_RENDERER == "vpdt.web.renderer.FastRenderer"
    assert isinstance(Sample().renderer, FastRenderer)
    names = {*fast._INPUTS, *fast._INPUT_OPTIONS, fast._OPTION, fast._W + "select.html"}
    src = Path(fast.__file__).resolve().parents[1]
    overridden = [p for p in src.rglob("templates/django/forms/widgets/*.html") if str(p).split("templates/")[1] in names]
    assert overridden == []
