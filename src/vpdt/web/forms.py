"""The Django Forms behind every POST of the pages: they parse and check what a person typed.

A Form turns the request into the values a service takes (dates, people, units, files). The
rules stay in the services: when a service refuses (vpdt.core.errors), `service_error` puts
its message next to the field it concerns (the form's `service_fields` map an error code to
a field) so the page is shown again with what the person chose still chosen.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core.errors import VpdtError
from vpdt.directory import recipients as directory_recipients
from vpdt.directory.models import Agency, RecipientGroup, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import DeliveryState, RecipientKind, Secrecy, Urgency
from vpdt.records.models import Document, DocumentType, Recipient, Register
from vpdt.reports.models import PeriodReportRecipient
from vpdt.workflow import services
from vpdt.workflow.delegation import today

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class DateField(forms.DateField):
    """dd/mm/yyyy (or ISO), shown back as dd/mm/yyyy; a bad date names what was typed."""

    widget = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "class": "form-control"})
    default_error_messages = {"required": _("Nhập ngày (dd/mm/yyyy).")}

    def __init__(self, **kwargs):
        super().__init__(input_formats=DATE_FORMATS, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            raise ValidationError(_("Ngày không hợp lệ: %(value)s (dd/mm/yyyy)."), code="invalid",
                                  params={"value": value}) from exc


class NumberField(forms.IntegerField):
    """A count or a document's number: a whole number from 1 up, said plainly when it is not."""

    default_error_messages = {"invalid": _("Nhập một số nguyên, ví dụ 12."),
                              "min_value": _("Nhập số từ 1 trở lên.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(min_value=1, **kwargs)


class PersonChoice(forms.ModelChoiceField):
    """A person as the lists show them: name – position."""

    def label_from_instance(self, obj):
        return f"{obj} – {obj.position}" if obj.position else str(obj)


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class UnitChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AgencyChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class GroupChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TypeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.abbreviation})" if obj.abbreviation else obj.name


class PageForm(forms.Form):
    """Bootstrap classes on the widgets, `is-invalid` on the fields that carry an error."""

    # Error code of a service (vpdt.core.errors) -> the field its message belongs next to.
    service_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and "is-invalid" not in self.fields[name].widget.attrs.get("class", ""):
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                # web/_errors.html puts the message in <auto_id>-error: screen readers read it with the field.
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def service_error(self, exc: VpdtError) -> bool:
        """Shows a service's refusal next to its field; False when it concerns no field of this form."""
        field = self.service_fields.get(exc.code)
        if field is None or field not in self.fields:
            return False
        self.add_error(field, exc.message)
        return True


# Refusals of a file (core.filetypes, the size limit): shown next to the form's file field.
FILE_CODES = ("FILE_TOO_LARGE", "FILE_EMPTY", "FILE_TYPE_REFUSED", "PDF_UNREADABLE", "PDF_ACTIVE_CONTENT",
              "OFFICE_MACROS", "OFFICE_UNREADABLE", "IMAGE_UNREADABLE", "BAD_FILE_NAME")


def _file_fields(field: str) -> dict:
    return dict.fromkeys(FILE_CODES, field)


class UploadField(forms.FileField):
    """A file field that shows the refusal of the streaming upload handler (core.uploads: the
    file passed the size limit and was dropped while it arrived) in Vietnamese next to it."""

    default_error_messages = {"empty": _("Tệp rỗng (0 byte).")}

    def to_python(self, data):
        refusal = getattr(data, "refusal", None)
        if refusal is not None:
            raise ValidationError(refusal.message, code=refusal.code)
        return super().to_python(data)


def _not_in_past(value: dt.date | None) -> None:
    if value is not None and value < today():
        raise ValidationError(_("Hạn xử lý không được trước hôm nay."), code="past")


# ======================================================================================
# Incoming: receiving on paper, directing, handing on
# ======================================================================================


class ReceiveForm(PageForm):
    """The clerk's paper document: its scan and what is printed on it."""

    service_fields = {"SUBJECT_REQUIRED": "subject", **_file_fields("scan")}

    scan = UploadField(required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))
    issuer_name = forms.CharField(max_length=255, error_messages={"required": _("Nhập cơ quan ban hành.")})
    issuer_code = forms.CharField(max_length=32, required=False,
                                  widget=forms.TextInput(attrs={"placeholder": "000.00.00.G22"}))
    document_type = TypeChoice(DocumentType.objects.all(), empty_label=None, error_messages={
        "required": _("Chọn loại văn bản."), "invalid_choice": _("Chọn loại văn bản.")})
    number = NumberField(required=False)
    notation = forms.CharField(max_length=64, required=False, widget=forms.TextInput(attrs={"placeholder": "UBND-VP"}))
    issued_date = DateField(required=False)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL)
    page_count = NumberField(required=False)
    subject = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": _("Trích yếu không được để trống.")})
    signer_name = forms.CharField(max_length=255, required=False)
    register_now = forms.BooleanField(required=False, initial=True)
    secrecy = forms.TypedChoiceField(choices=Secrecy.choices, coerce=int, initial=Secrecy.NONE, required=False,
                                     empty_value=Secrecy.NONE, error_messages={
        "invalid_choice": _("Chọn độ mật.")})
    register = forms.ModelChoiceField(Register.objects.none(), required=False,
                                      empty_label=_("Theo độ mật (sổ chung hoặc sổ mật)"),
                                      error_messages={"invalid_choice": _("Chọn một sổ văn bản đến của cơ quan.")})

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        usual = DocumentType.objects.filter(code="CV").values_list("pk", flat=True).first()
        self.fields["document_type"].initial = usual
        # only the agency's own incoming registers of this year that are still open
        self.fields["register"].queryset = (
            Register.objects.filter(agency=agency, direction="incoming", year=timezone.localdate().year, closed=False)
            .order_by("series") if agency is not None else Register.objects.none())

    def clean(self):
        """The register agrees with the secrecy. The issuer picked from the directory (or typed
        exactly as it is named there) brings its code; a name outside the directory (a company's
        paper letter) stays free text."""
        c = super().clean()
        register, secrecy = c.get("register"), c.get("secrecy")
        if register is not None and secrecy is not None and (register.series == "mat") != (secrecy > Secrecy.NONE):
            self.add_error("register", _("Văn bản mật vào sổ văn bản mật; văn bản thường vào sổ khác."))
        name = (c.get("issuer_name") or "").strip()
        if name and not (c.get("issuer_code") or "").strip():
            found = directory_recipients.issuer_in_directory(name)
            if found is not None:
                c["issuer_name"], c["issuer_code"] = found.name, found.code
        return c

    def document_data(self) -> dict:
        c = self.cleaned_data
        return {key: (c[key].strip() if isinstance(c[key], str) else c[key]) for key in (
            "document_type", "subject", "issuer_name", "issuer_code", "number", "notation", "issued_date",
            "urgency", "page_count", "signer_name", "secrecy")}


class _CoInfoSections:
    """The co-handlers' and "để biết" checkbox lists of a direction form, in their headed parts."""

    @property
    def co_sections(self):
        return _sections(self["co"])

    @property
    def info_sections(self):
        return _sections(self["info"])


class AssignForm(_CoInfoSections, PageForm):
    """The leader's direction: one main handler (a unit or a person), co-handlers, for information."""

    service_fields = {"MAIN_REQUIRED": "main", "BAD_TARGET": "main", "FOREIGN_UNIT": "main", "FOREIGN_USER": "main",
                      "DEADLINE_IN_PAST": "deadline"}

    # Not id="main": the frame's <main> has it.
    main = forms.ChoiceField(widget=forms.Select(attrs={"id": "assign-main"}), error_messages={"required": _("Cần chọn đơn vị hoặc cán bộ chủ trì."),
                                             "invalid_choice": _("Cần chọn đơn vị hoặc cán bộ chủ trì.")})
    co = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    info = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    deadline = DateField(required=False, validators=[_not_in_past])
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {f"u:{u.pk}": u for u in units} | {f"p:{p.pk}": p for p in people}
        unit_choices = [(f"u:{u.pk}", u.name) for u in units]
        person_choices = [(f"p:{p.pk}", f"{p} – {p.position}" + (f", {p.unit.abbreviation}" if p.unit else ""))
                          for p in people]
        self.fields["main"].choices = [("", _("— chọn đơn vị hoặc cán bộ —")), (_("Đơn vị"), unit_choices),
                                       (_("Cán bộ"), person_choices)]
        # Co-handlers and "để biết": units and people of the agency (web/picker.js searches them).
        self.fields["co"].choices = unit_choices + person_choices
        self.fields["info"].choices = unit_choices + person_choices

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {"main": self.targets[c["main"]], "co": [self.targets[v] for v in c["co"]],
                "info": [self.targets[v] for v in c["info"]], "instructions": c["instructions"],
                "deadline": c["deadline"]}


def _sections(bound) -> list[tuple[str, list]]:
    """A checkbox list of units ("u:<id>") and people, in two headed parts (empty parts left out)."""
    units = [o for o in bound if str(o.data["value"]).startswith("u:")]
    people = [o for o in bound if not str(o.data["value"]).startswith("u:")]
    return [(title, items) for title, items in ((_("Đơn vị"), units), (_("Cán bộ"), people)) if items]


class TargetsChoice(forms.MultipleChoiceField):
    """People (by id) and units ("u:<id>") in one checkbox list; cleaned into the objects."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        self.targets: dict[str, object] = {}

    def set_targets(self, people, units) -> None:
        self.targets = {str(p.pk): p for p in people} | {f"u:{u.pk}": u for u in units}
        self.choices = [(str(p.pk), str(p)) for p in people] + [(f"u:{u.pk}", u.name) for u in units]

    def clean(self, value):
        return [self.targets[v] for v in super().clean(value)]


class ReassignForm(_CoInfoSections, PageForm):
    """The unit head hands the unit's assignment to people of the unit; other units of the agency
    may be asked to co-handle or to know."""

    service_fields = {"HANDLER_REQUIRED": "handler", "OUTSIDE_UNIT": "handler", "DEADLINE_IN_PAST": "deadline",
                      "DEADLINE_AFTER_PARENT": "deadline"}

    handler = PersonChoice(User.objects.none(), empty_label=_("— chọn cán bộ —"), error_messages={
        "required": _("Cần chọn cán bộ xử lý."), "invalid_choice": _("Cần chọn cán bộ xử lý.")})
    co = TargetsChoice()
    info = TargetsChoice()
    deadline = DateField(required=False, validators=[_not_in_past])
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, people, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = people
        for name in ("co", "info"):
            self.fields[name].set_targets(list(people), list(units))

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {"handler": c["handler"], "co": list(c["co"]), "info": list(c["info"]),
                "instructions": c["instructions"], "deadline": c["deadline"]}


# ======================================================================================
# Outgoing: drafting and its recipients
# ======================================================================================


class RecipientsForm(PageForm):
    """Where an outgoing document goes: internal units, other agencies, e-mail, paper."""

    service_fields = {"FOREIGN_UNIT": "units", "SELF": "agencies", "BAD_EMAIL": "emails", "FOREIGN_GROUP": "groups"}

    units = UnitChoice(Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    agencies = AgencyChoice(Agency.objects.none(), required=False,
                            widget=forms.SelectMultiple(attrs={"size": 5}))
    # Recipient groups (vpdt.directory.recipients): one entry that expands into its agencies.
    groups = GroupChoice(RecipientGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
                         error_messages={"invalid_choice": _("Nhóm nơi nhận không dùng được.")})
    emails = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    papers = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, agency_id: int, **kwargs):
        picker_user = kwargs.pop("user", None)
        super().__init__(*args, **kwargs)
        self.picker_user, self.agency_id = picker_user or getattr(self, "user", None), agency_id
        self.fields["units"].queryset = Unit.objects.filter(agency_id=agency_id, active=True)
        self.fields["agencies"].queryset = Agency.objects.filter(active=True).exclude(pk=agency_id).order_by("code")
        if self.picker_user is not None:
            self.fields["groups"].queryset = directory_recipients.usable_groups(self.picker_user, agency_id)

    def clean_emails(self) -> list[str]:
        """One address per line (or comma-separated); each must be an e-mail address."""
        emails = [e.strip() for e in self.cleaned_data["emails"].replace(",", "\n").splitlines() if e.strip()]
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(_("Địa chỉ thư không hợp lệ: %(value)s"), code="invalid",
                                      params={"value": email}) from None
        return emails

    def recipients(self) -> dict:
        """The chosen agencies with those of the chosen groups (each once); a group the person may
        not use is refused by the directory's service (FOREIGN_GROUP), shown next to the groups."""
        c = self.cleaned_data
        agencies = {a.pk: a for a in c["agencies"]}
        if c.get("groups"):
            for agency in directory_recipients.expand_groups(self.picker_user, c["groups"], self.agency_id):
                agencies.setdefault(agency.pk, agency)
        return {"units": list(c["units"]), "agencies": list(agencies.values()), "emails": c["emails"],
                "papers": [e.strip() for e in c["papers"].splitlines() if e.strip()]}


class DraftForm(RecipientsForm):
    """A new outgoing draft: its file, what it is about, and where it will go."""

    service_fields = {**RecipientsForm.service_fields, "SUBJECT_REQUIRED": "subject", "BAD_DRAFT_TYPE": "file",
                      **_file_fields("file")}

    document_type = TypeChoice(DocumentType.objects.all(), empty_label=None, error_messages={
        "required": _("Chọn loại văn bản."), "invalid_choice": _("Chọn loại văn bản.")})
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL)
    signer_competence = forms.CharField(max_length=64, required=False,
                                        widget=forms.TextInput(attrs={"placeholder": "KT. GIÁM ĐỐC"}))
    subject = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": _("Trích yếu không được để trống.")})
    file = UploadField(widget=forms.ClearableFileInput(attrs={"accept": ".docx,.odt,.pdf"}),
                           error_messages={"required": _("Chọn tệp dự thảo (.docx hoặc .pdf).")})
    page_count = NumberField(required=False)
    # Which of the two buttons was pressed: save, or save and submit for review.
    submit_now = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].initial = DocumentType.objects.filter(code="CV").values_list(
            "pk", flat=True).first()

    def document_data(self) -> dict:
        c = self.cleaned_data
        return {"document_type": c["document_type"], "subject": c["subject"].strip(), "urgency": c["urgency"],
                "signer_competence": c["signer_competence"].strip(), "page_count": c["page_count"]}


# ======================================================================================
# Delegation
# ======================================================================================


class DelegationForm(PageForm):
    """A leader (or the agency admin for a leader) hands their queue to a deputy for a period."""

    service_fields = {"BAD_DEPUTY": "deputy", "BAD_PERIOD": "ends_on"}

    principal = PersonChoice(User.objects.none(), empty_label=None, error_messages={
        "required": _("Chọn lãnh đạo ủy quyền trong danh sách."),
        "invalid_choice": _("Chọn lãnh đạo ủy quyền trong danh sách.")})
    deputy = PersonChoice(User.objects.none(), empty_label=None, error_messages={
        "required": _("Chọn người được ủy quyền."), "invalid_choice": _("Chọn người được ủy quyền.")})
    starts_on = DateField()
    ends_on = DateField()
    reason = forms.CharField(max_length=255, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Đi công tác, nghỉ phép…")}))

    def __init__(self, *args, principals, deputies, **kwargs):
        super().__init__(*args, **kwargs)
        if principals is None:
            del self.fields["principal"]
        else:
            self.fields["principal"].queryset = principals
        self.fields["deputy"].queryset = deputies
        self.fields["starts_on"].initial = today()

    def clean(self):
        c = super().clean()
        if c.get("starts_on") and c.get("ends_on") and c["ends_on"] < c["starts_on"]:
            self.add_error("ends_on", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
        return c


class RevokeDelegationForm(PageForm):
    revoke = forms.IntegerField(widget=forms.HiddenInput)


# ======================================================================================
# Actions on a document's page (one Form per action; see vpdt.web.views.actions)
# ======================================================================================


class OtpForm(PageForm):
    """A one-time code: 6 digits from the authenticator app, or a recovery code."""

    code = forms.CharField(max_length=20, error_messages={"required": _("Nhập mã xác thực.")},
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


class ActionForm(PageForm):
    """Every action may send the person back to their queue afterwards (`next=queue`)."""

    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, document: Document, user, **kwargs):
        self.document, self.user = document, user
        super().__init__(*args, **kwargs)


class RegisterForm(ActionForm):
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    override_reason = forms.CharField(required=False)


class ReasonForm(ActionForm):
    """Return, transfer back, recall: the reason is what the service asks for."""

    service_fields = {"REASON_REQUIRED": "reason"}

    reason = forms.CharField(required=False)


class SubmitForm(ActionForm):
    service_fields = {"NOT_A_LEADER": "leader"}

    leader = PersonChoice(User.objects.none(), required=False, empty_label=_("Lãnh đạo cơ quan (bất kỳ)"),
                          error_messages={"invalid_choice": _("Người được trình phải là lãnh đạo cơ quan.")})
    note = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = User.objects.filter(
            pk__in=[u.pk for u in services.role_holders(self.document.agency_id, Role.LEADER)])


class OpinionForm(ActionForm):
    service_fields = {"OPINION_REQUIRED": "text", **_file_fields("file")}

    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    file = UploadField(required=False)


class ExtensionForm(ActionForm):
    service_fields = {"REASON_REQUIRED": "reason", "BAD_NEW_DEADLINE": "new_deadline"}

    new_deadline = DateField(error_messages={"required": _("Nhập hạn mới (dd/mm/yyyy).")})
    reason = forms.CharField(required=False)


class DecideExtensionForm(ActionForm):
    request = forms.IntegerField(widget=forms.HiddenInput)
    approve = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(required=False)


class CompleteForm(ActionForm):
    service_fields = {"BAD_REPLY": "reply"}

    summary = forms.CharField(required=False)
    reply = forms.ModelChoiceField(Document.objects.none(), required=False, error_messages={
        "invalid_choice": _("Văn bản trả lời phải là văn bản đi của cơ quan.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply"].queryset = Document.objects.filter(agency_id=self.document.agency_id)


class VersionForm(ActionForm):
    service_fields = {"BAD_DRAFT_TYPE": "file", **_file_fields("file")}

    file = UploadField(error_messages={"required": _("Chọn tệp dự thảo (.docx hoặc .pdf).")})
    note = forms.CharField(required=False)


class DocumentRecipientsForm(ActionForm, RecipientsForm):
    service_fields = RecipientsForm.service_fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, agency_id=kwargs["document"].agency_id, **kwargs)


class NoteForm(ActionForm):
    note = forms.CharField(required=False)


class ApproveForm(ActionForm):
    """Approve a review step; at the signer's step also the competence, and the one-time code
    or the PIN that unlocks the key for this act (the confirm page, vpdt.web.views.outgoing.sign)."""

    service_fields = {"OTP_REQUIRED": "otp", "OTP_INVALID": "otp", "OTP_USED": "otp", "OTP_THROTTLED": "otp",
                      "MFA_NOT_ENROLLED": "otp", "PIN_REQUIRED": "pin", "PIN_INVALID": "pin",
                      "SIGNER_COMPETENCE_MISMATCH": "competence"}

    comment = forms.CharField(required=False)
    competence = forms.ChoiceField(required=False, choices=[], widget=forms.RadioSelect)
    otp = forms.CharField(required=False, max_length=20, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    pin = forms.CharField(required=False, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].choices = self.competence_choices()
        self.fields["competence"].widget.attrs["class"] = "form-check-input"

    def competence_choices(self) -> list[tuple[str, str]]:
        """What the signer may sign as (signing.competence_choices), for the person whose step it is."""
        signing = services.signing_services()
        if signing is None or self.document.state != "in_review":
            return []
        try:
            _review, principal = services.check_review(self.user, self.document)
        except VpdtError:
            return []
        # The value a posted form names is always offered, so a mismatch reaches the service's rule.
        offered = signing.competence_choices(principal, self.document.agency)
        posted = (self.data or {}).get("competence") if self.is_bound else None
        if posted is not None and posted not in dict(offered):
            offered.append((posted, posted))
        return offered

    def chosen_competence(self) -> str | None:
        """None when the form did not name one (approving from the document page keeps the draft's)."""
        return self.cleaned_data.get("competence") if "competence" in self.data else None


class ConfirmForm(ActionForm):
    """Release, recall, replace: an act others see at once asks for a ticked confirmation."""

    confirm = forms.BooleanField(error_messages={"required": _("Đánh dấu ô xác nhận trước khi thực hiện.")})


class SendBackForm(ActionForm):
    service_fields = {"REASON_REQUIRED": "comment"}

    comment = forms.CharField(required=False)


class ForwardForm(ActionForm):
    service_fields = {"BAD_FORWARD": "to"}

    to = PersonChoice(User.objects.none(), error_messages={
        "required": _("Người nhận chuyển tiếp không hợp lệ."),
        "invalid_choice": _("Người nhận chuyển tiếp không hợp lệ.")})
    comment = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = User.objects.filter(agency_id=self.document.agency_id, is_active=True).exclude(
            pk=self.user.pk)


class IssueNumberForm(ActionForm):
    pin = forms.CharField(required=False, strip=False)


class EmptyForm(ActionForm):
    """Acknowledge: the button is the whole request."""


class ReleaseForm(ConfirmForm):
    pass


class RecallForm(ConfirmForm):
    service_fields = {"REASON_REQUIRED": "reason"}

    reason = forms.CharField(required=False)


class ReplaceForm(ConfirmForm):
    service_fields = {"REASON_REQUIRED": "reason", "REPLACEMENT_NOT_FOUND": "replacement",
                      "BAD_REPLACEMENT": "replacement"}

    reason = forms.CharField(required=False)
    replacement = forms.CharField(required=False)


class UpdateForm(ActionForm):
    service_fields = {"REASON_REQUIRED": "reason"}

    subject = forms.CharField(required=False)
    note = forms.CharField(required=False)
    reason = forms.CharField(required=False)

    def changes(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("subject", "note") if self.cleaned_data.get(k)}


class MarkReadForm(PageForm):
    """"Mark all as read": the button is the whole request."""


# ======================================================================================
# The person's account: API tokens, sessions, passwords (vpdt.directory.accounts)
# ======================================================================================


class TokenCreateForm(PageForm):
    name = forms.CharField(max_length=100, error_messages={"required": _("Đặt tên gợi nhớ cho khóa (ví dụ: phần mềm kế toán).")})
    days = forms.IntegerField(min_value=1, max_value=365, initial=30,
                              error_messages={"required": _("Nhập số ngày hiệu lực (1–365)."),
                                              "invalid": _("Nhập số ngày hiệu lực (1–365)."),
                                              "min_value": _("Nhập số ngày hiệu lực (1–365)."),
                                              "max_value": _("Nhập số ngày hiệu lực (1–365).")})


class PickForm(forms.Form):
    """Which row of a list a button acts on (a session, a token, a person)."""

    pk = forms.IntegerField(min_value=1)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with Vietnamese messages and the page's styling."""

    error_messages = {**auth_forms.PasswordChangeForm.error_messages,
                      "password_incorrect": _("Mật khẩu hiện tại không đúng."),
                      "password_mismatch": _("Hai lần nhập mật khẩu mới không khớp.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["old_password"].label = _("Mật khẩu hiện tại")
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
        self.fields["new_password1"].help_text = ""


class SetPasswordForm(auth_forms.SetPasswordForm):
    error_messages = {**auth_forms.SetPasswordForm.error_messages,
                      "password_mismatch": _("Hai lần nhập mật khẩu mới không khớp.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
        self.fields["new_password1"].help_text = ""


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Thư điện tử")
        self.fields["email"].widget.attrs.setdefault("class", "form-control")
        self.fields["email"].error_messages = {"required": _("Nhập thư điện tử của bạn."),
                                               "invalid": _("Thư điện tử không hợp lệ.")}


# ======================================================================================
# Administration (vpdt.web.views.administration): people, four-eyes requests, approval chains
# ======================================================================================


class PersonForm(PageForm):
    """The agency admin's edit of a person: details, unit and position within the agency."""

    full_name = forms.CharField(label=_("Họ và tên"), max_length=150,
                                error_messages={"required": _("Nhập họ và tên.")})
    email = forms.EmailField(label=_("Thư điện tử"), required=False,
                             error_messages={"invalid": _("Địa chỉ thư điện tử không hợp lệ.")})
    phone = forms.CharField(label=_("Điện thoại"), max_length=40, required=False)
    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Đơn vị"), required=False)
    position = forms.CharField(label=_("Chức vụ"), max_length=150, required=False)
    service_fields = {"unit": "unit", "EMAIL_PROTECTED": "email"}

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(agency=agency, active=True) if agency else Unit.objects.none()


class NewPersonForm(PersonForm):
    """The admin adds a person: they set their password themselves from the e-mailed link."""

    username = forms.RegexField(label=_("Tên đăng nhập"), max_length=150, regex=r"^[A-Za-z0-9._-]+$",
                                error_messages={"required": _("Nhập tên đăng nhập."),
                                                "invalid": _("Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, "
                                                             "gạch ngang và gạch dưới.")})
    agency = forms.ModelChoiceField(Agency.objects.none(), label=_("Cơ quan"),
                                    error_messages={"required": _("Chọn cơ quan.")})
    roles = forms.MultipleChoiceField(label=_("Vai trò"), required=False, widget=forms.CheckboxSelectMultiple,
                                      choices=[c for c in Role.choices if c[0] != Role.PLATFORM_ADMIN])
    reason = forms.CharField(label=_("Lý do (khi vai trò cần phê duyệt)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["username", "full_name", "email", "phone", "agency", "unit", "position", "roles", "reason"]
    service_fields = {**PersonForm.service_fields, "username": "username", "email": "email",
                      "REASON_REQUIRED": "reason"}

    def __init__(self, *args, agencies=None, **kwargs):
        agencies = agencies if agencies is not None else Agency.objects.none()
        super().__init__(*args, agency=None, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].error_messages["required"] = _("Nhập thư điện tử: cán bộ nhận đường dẫn đặt mật khẩu.")
        self.fields["agency"].queryset = agencies
        self.fields["unit"].queryset = Unit.objects.filter(agency__in=agencies, active=True).select_related("agency")
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first().pk


class MoveAgencyForm(PageForm):
    """The platform admin moves a person to another agency: history stays, old rights go."""

    agency = forms.ModelChoiceField(Agency.objects.filter(active=True).order_by("code"), label=_("Cơ quan mới"),
                                    error_messages={"required": _("Chọn cơ quan.")})
    unit = forms.ModelChoiceField(Unit.objects.filter(active=True).select_related("agency"), label=_("Đơn vị"),
                                  required=False)
    position = forms.CharField(label=_("Chức vụ"), max_length=150, required=False)
    service_fields = {"unit": "unit", "agency": "agency"}


class AdminRequestForm(PageForm):
    """A change to a person: done at once, or sent for the platform admin's approval (four eyes)."""

    KINDS = [("password_reset", _("Gửi đường dẫn đặt lại mật khẩu")),
             ("mfa_reset", _("Đặt lại xác thực hai lớp")),
             ("role_change", _("Thay đổi vai trò")),
             ("deactivate", _("Khóa tài khoản"))]
    kind = forms.ChoiceField(label=_("Thay đổi"), choices=KINDS)
    add_roles = forms.MultipleChoiceField(label=_("Thêm vai trò"), required=False, widget=forms.CheckboxSelectMultiple,
                                          choices=[c for c in Role.choices if c[0] != Role.PLATFORM_ADMIN])
    remove_roles = forms.MultipleChoiceField(label=_("Bỏ vai trò"), required=False,
                                             widget=forms.CheckboxSelectMultiple,
                                             choices=[c for c in Role.choices if c[0] != Role.PLATFORM_ADMIN])
    reason = forms.CharField(label=_("Lý do"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    service_fields = {"REASON_REQUIRED": "reason", "ROLES_REQUIRED": "add_roles", "NO_EMAIL": "kind"}


class DecisionForm(PageForm):
    pk = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Phê duyệt")), ("refuse", _("Từ chối"))])
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=500)


class ApprovalStepForm(PageForm):
    """One step of an approval chain: who reviews, and whether it is the signer."""

    order = forms.IntegerField(label=_("Thứ tự"), min_value=1, max_value=50,
                               error_messages={"required": _("Nhập thứ tự bước (1–50).")})
    label = forms.CharField(label=_("Tên bước"), max_length=150, error_messages={"required": _("Nhập tên bước.")})
    kind = forms.ChoiceField(label=_("Người duyệt"), choices=[
        ("unit_head", _("Lãnh đạo đơn vị soạn thảo")), ("role", _("Người có vai trò (bất kỳ)")),
        ("user", _("Một cán bộ cụ thể"))])
    role = forms.ChoiceField(label=_("Vai trò"), required=False,
                             choices=[("", "—"), *[c for c in Role.choices if c[0] != Role.PLATFORM_ADMIN]])
    user = forms.ModelChoiceField(User.objects.none(), label=_("Cán bộ"), required=False)
    is_signer = forms.BooleanField(label=_("Người ký (bước cuối)"), required=False)
    service_fields = {"STEP_ORDER_TAKEN": "order", "STEP_ROLE_REQUIRED": "role", "STEP_USER_REQUIRED": "user"}

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(agency=agency, is_active=True) if agency else User.objects.none()


class UnitForm(PageForm):
    name = forms.CharField(label=_("Tên đơn vị"), max_length=255, error_messages={"required": _("Nhập tên đơn vị.")})
    abbreviation = forms.CharField(label=_("Chữ viết tắt"), max_length=20,
                                   error_messages={"required": _("Nhập chữ viết tắt.")})
    parent = forms.ModelChoiceField(Unit.objects.none(), label=_("Đơn vị cấp trên"), required=False)
    active = forms.BooleanField(label=_("Đang hoạt động"), required=False, initial=True)
    service_fields = {"UNIT_PARENT": "parent", "UNIT_ABBREVIATION": "abbreviation"}

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.filter(agency=agency) if agency else Unit.objects.none()


# --- dashboard (issue 14): the reports' period, the period report's mailing list
class ReportPeriodForm(PageForm):
    """The period of a report (a GET form): from and to, dd/mm/yyyy, at most five years."""

    start = DateField(label=_("Từ ngày"))
    end = DateField(label=_("Đến ngày"))

    def clean(self):
        c = super().clean()
        if c.get("start") and c.get("end"):
            if c["end"] < c["start"]:
                self.add_error("end", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
            elif (c["end"] - c["start"]).days > 3 * 366:
                self.add_error("end", _("Kỳ báo cáo dài nhất 3 năm."))
        return c


class ReportRecipientForm(PageForm):
    """A person who receives the monthly period report by e-mail (named by the platform admin)."""

    service_fields = {"RECIPIENT_NO_EMAIL": "person"}

    person = PersonChoice(User.objects.filter(is_active=True).exclude(email="").order_by("full_name"),
                          label=_("Cán bộ nhận báo cáo"), error_messages={
                              "required": _("Chọn cán bộ nhận báo cáo."),
                              "invalid_choice": _("Chọn cán bộ nhận báo cáo trong danh sách.")})


class ReportRecipientRemoveForm(forms.Form):
    """Takes one person off the period report's mailing list (a button per row)."""

    recipient = forms.ModelChoiceField(PeriodReportRecipient.objects.all(), widget=forms.HiddenInput)


class RegisterCloseForm(PageForm):
    """Khóa sổ (records.registers.close_register): ticked, with the seal's PIN when it is a token."""

    service_fields = {"PIN_INVALID": "pin", "REGISTER_YEAR_NOT_ENDED": "confirm", "REGISTER_CHANGED": "confirm",
                      "REGISTER_ALREADY_CLOSED": "confirm", "REGISTER_SEAL_MISSING": "confirm"}

    confirm = forms.BooleanField(error_messages={"required": _("Đánh dấu ô xác nhận trước khi khóa sổ.")})
    pin = forms.CharField(required=False, strip=False, widget=forms.PasswordInput(render_value=False))


# ======================================================================================
# Recipients: favourites and recipient groups (vpdt.web.views.picker, vpdt.directory.recipients)
# ======================================================================================


class FavouriteForm(PageForm):
    """Marks or unmarks an agency the person sends to often (the picker's star)."""

    agency = forms.ModelChoiceField(Agency.objects.filter(active=True), error_messages={
        "required": _("Chọn cơ quan."), "invalid_choice": _("Chọn cơ quan.")})
    favourite = forms.BooleanField(required=False)


class RecipientGroupForm(PageForm):
    """A recipient group: its name, its agencies (searched with the same picker), in use or not."""

    service_fields = {"GROUP_NAME": "name", "GROUP_MEMBERS": "members"}

    name = forms.CharField(label=_("Tên nhóm"), max_length=150, error_messages={"required": _("Nhập tên nhóm.")})
    members = AgencyChoice(Agency.objects.none(), label=_("Cơ quan trong nhóm"),
                           widget=forms.SelectMultiple(attrs={"size": 8}),
                           error_messages={"required": _("Chọn ít nhất một cơ quan trong nhóm."),
                                           "invalid_choice": _("Chọn cơ quan trong danh sách.")})
    active = forms.BooleanField(label=_("Đang dùng"), required=False, initial=True)

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        members = Agency.objects.filter(active=True).order_by("code")
        self.fields["members"].queryset = members.exclude(pk=agency.pk) if agency else members


class PaperSentForm(PageForm):
    """The clerk marks a released document's paper copy as sent (by post or by hand)."""

    service_fields = {"NOT_PAPER": "recipient", "ALREADY_SENT": "recipient", "BAD_SENT_BY": "how"}

    recipient = forms.ModelChoiceField(Recipient.objects.none(), widget=forms.HiddenInput, error_messages={
        "required": _("Chọn nơi nhận bản giấy."), "invalid_choice": _("Nơi nhận này không còn chờ gửi.")})
    how = forms.ChoiceField(choices=[("post", _("Bưu điện")), ("hand", _("Chuyển trực tiếp"))], initial="post",
                            error_messages={"required": _("Chọn hình thức gửi."),
                                            "invalid_choice": _("Chọn hình thức gửi.")})

    def __init__(self, *args, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = document.recipients.filter(kind=RecipientKind.PAPER,
                                                                       state=DeliveryState.PENDING)


# ======================================================================================
# Working faster (issue 13): bulk actions on lists, saved filters, canned directions, uploads
# ======================================================================================


class BulkForm(PageForm):
    """The documents ticked on a list and what to do with them."""

    ACTIONS = [("direct", _("Phân công xử lý")), ("read", _("Đánh dấu đã đọc")),
               ("unread", _("Đánh dấu chưa đọc")), ("info_done", _("Hoàn thành để biết"))]

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={
        "required": _("Chọn ít nhất một văn bản trong danh sách.")})
    action = forms.ChoiceField(choices=ACTIONS, error_messages={"required": _("Chọn thao tác."),
                                                                 "invalid_choice": _("Chọn thao tác.")})
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids are well-formed choices here; which of them the person may act on is the services' call.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit() and len(str(v)) < 19]


class BulkAssignForm(AssignForm):
    """The leader's direction form, applied to each of the chosen documents (their ids ride along)."""

    ids = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput, error_messages={
        "required": _("Chọn ít nhất một văn bản trong danh sách.")})

    def __init__(self, *args, ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]
        self.fields["ids"].initial = ids


class SavedFilterForm(PageForm):
    service_fields = {"NAME_REQUIRED": "name", "NAME_TOO_LONG": "name", "EMPTY_FILTER": "name",
                      "TOO_MANY_FILTERS": "name"}

    name = forms.CharField(max_length=60, error_messages={"required": _("Đặt tên cho bộ lọc."),
                                                          "max_length": _("Tên bộ lọc dài tối đa 60 ký tự.")})
    path = forms.CharField(max_length=100)
    query = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "filter-%s")  # not id="name": the list page has other forms
        super().__init__(*args, **kwargs)


class DirectionTextForm(PageForm):
    service_fields = {"TEXT_REQUIRED": "text", "TEXT_TOO_LONG": "text"}

    text = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), error_messages={
        "required": _("Nhập nội dung ý kiến chỉ đạo."), "max_length": _("Ý kiến chỉ đạo mẫu dài tối đa 1000 ký tự.")})
    order = forms.IntegerField(required=False, min_value=0, max_value=10_000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(UploadField):
    """Several files in one field (Django's documented way): each is checked like one file."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not files:
            return super().clean(None, initial)
        return files  # each is judged by records' services, refused ones one by one


class UploadFilesForm(PageForm):
    """Files dropped on a document: appendices (attach) or new draft versions (version)."""

    files = FilesField(error_messages={"required": _("Chọn hoặc kéo thả ít nhất một tệp.")})
    note = forms.CharField(required=False, max_length=500)
