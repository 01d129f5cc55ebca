"""Handling of incoming documents (assignments, opinions, extensions), approval of outgoing
ones (chains per agency, review steps), delegation and notifications.

Documents and their states live in records; every state change goes through
`records.services.set_state`. These models say who handles what, and who reviews what.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vpdt.core.models import ChoiceLabels
from vpdt.directory.models import Agency, Unit
from vpdt.directory.roles import Role
from vpdt.records.models import Attachment, Document

USER = settings.AUTH_USER_MODEL


class Submission(models.Model):
    """The clerk submits a registered incoming document to a leader for direction (trình)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="submissions",
                                 verbose_name="văn bản")
    leader = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="lãnh đạo", help_text="Để trống: lãnh đạo nào của cơ quan cũng được.")
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="người trình")
    note = models.TextField("ghi chú", blank=True)
    open = models.BooleanField("chờ cho ý kiến", default=True)
    created_at = models.DateTimeField("lúc", auto_now_add=True)

    class Meta:
        verbose_name = "trình lãnh đạo"
        verbose_name_plural = "trình lãnh đạo"
        indexes = [models.Index(fields=["leader", "open"]), models.Index(fields=["document", "open"])]


class Assignment(ChoiceLabels, models.Model):
    """A direction: main handler (chủ trì), co-handler (phối hợp) or for information (để biết)."""

    class Role(models.TextChoices):
        MAIN = "main", pgettext_lazy("assignment role", "Chủ trì")
        CO = "co", pgettext_lazy("assignment role", "Phối hợp")
        INFO = "info", pgettext_lazy("assignment role", "Để biết")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ xử lý")
        IN_PROGRESS = "in_progress", _("Đang xử lý")
        DONE = "done", _("Đã xong")
        RETURNED = "returned", _("Đã chuyển lại")
        CANCELLED = "cancelled", _("Đã hủy")
        # closed by the main handler's completion before this co-handler acted (not "done")
        CLOSED = "closed", _("Không xử lý")

    OPEN = (State.PENDING, State.IN_PROGRESS)

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments",
                                 verbose_name="văn bản")
    role = models.CharField("vai trò", max_length=5, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="đơn vị")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments",
                             verbose_name="cán bộ")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
                               verbose_name="giao lại từ")
    assigned_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name="người giao")
    on_behalf_of = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="thay mặt")
    instructions = models.TextField("ý kiến chỉ đạo", blank=True)
    deadline = models.DateField("hạn xử lý", null=True, blank=True, db_index=True)
    state = models.CharField("tình trạng", max_length=12, choices=State.choices, default=State.PENDING)
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField("giao lúc", auto_now_add=True)
    done_at = models.DateTimeField("xong lúc", null=True, blank=True)

    class Meta:
        verbose_name = "phân công xử lý"
        verbose_name_plural = "phân công xử lý"
        ordering = ["document_id", "id"]
        indexes = [models.Index(fields=["user", "state"]), models.Index(fields=["unit", "state"]),
                   models.Index(fields=["assigned_by", "state"]),
                   # The "Theo dõi" queue (queues.following): per person or unit, the assignments
                   # open or finished in the last 30 days, as document ids. Each index answers
                   # its lookup alone (PostgreSQL index-only scan, SQLite covering index, hence
                   # document in `fields`, not `include`): a director who assigned 48,000
                   # documents reads 8,000 index entries, not 6,000 table pages (BENCHMARKS.md).
                   # Created by raw SQL in migration 0002, owned here since 0003: keep names.
                   models.Index(fields=["assigned_by", "state", "done_at", "document"], name="asg_follow_by"),
                   models.Index(fields=["user", "state", "done_at", "document"], name="asg_follow_user"),
                   models.Index(fields=["unit", "state", "done_at", "document"], name="asg_follow_unit")]
        constraints = [models.CheckConstraint(condition=Q(user__isnull=False) | Q(unit__isnull=False),
                                              name="assignment_has_target")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.target_name}"

    @property
    def target_name(self) -> str:
        if self.user_id:
            return str(self.user)
        return self.unit.name if self.unit_id else ""

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN


class Opinion(models.Model):
    """An opinion (ý kiến) of a handler or a leader on a document, with an optional file."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="opinions",
                                 verbose_name="văn bản")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="người cho ý kiến")
    on_behalf_of = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="thay mặt")
    text = models.TextField("ý kiến")
    attachment = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="tệp")
    created_at = models.DateTimeField("lúc", auto_now_add=True)

    class Meta:
        verbose_name = "ý kiến xử lý"
        verbose_name_plural = "ý kiến xử lý"
        ordering = ["document_id", "created_at", "id"]


class ExtensionRequest(models.Model):
    """A handler asks for more time; the leader who directed decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã đồng ý")
        REJECTED = "rejected", pgettext_lazy("state", "Không đồng ý")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions",
                                   verbose_name="phân công")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="người đề nghị")
    decider = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name="người duyệt")
    old_deadline = models.DateField("hạn cũ", null=True, blank=True)
    new_deadline = models.DateField("hạn đề nghị")
    reason = models.TextField("lý do")
    state = models.CharField("tình trạng", max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "đề nghị gia hạn"
        verbose_name_plural = "đề nghị gia hạn"
        indexes = [models.Index(fields=["decider", "state"])]


class ApprovalChain(models.Model):
    """The order in which an agency's outgoing drafts are reviewed: data, edited by the agency admin."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="approval_chains",
                               verbose_name="cơ quan")
    name = models.CharField("tên quy trình", max_length=200)
    is_default = models.BooleanField("mặc định", default=True)
    active = models.BooleanField("đang dùng", default=True)

    class Meta:
        verbose_name = "quy trình duyệt văn bản đi"
        verbose_name_plural = "quy trình duyệt văn bản đi"
        ordering = ["agency", "-is_default", "name"]

    def __str__(self) -> str:
        return f"{self.name} – {self.agency.abbreviation}"


class ApprovalStep(models.Model):
    class Kind(models.TextChoices):
        UNIT_HEAD = "unit_head", _("Lãnh đạo đơn vị soạn thảo")
        ROLE = "role", _("Người có vai trò (bất kỳ)")
        USER = "user", _("Một cán bộ cụ thể")

    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps",
                              verbose_name="quy trình")
    order = models.PositiveSmallIntegerField("thứ tự")
    label = models.CharField("tên bước", max_length=150, help_text="Ví dụ: Trưởng phòng duyệt nội dung.")
    kind = models.CharField("người duyệt", max_length=10, choices=Kind.choices, default=Kind.UNIT_HEAD)
    role = models.CharField("vai trò", max_length=20, choices=Role.choices, blank=True)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="cán bộ")
    is_signer = models.BooleanField("người ký (bước cuối)", default=False)

    class Meta:
        verbose_name = "bước duyệt"
        verbose_name_plural = "các bước duyệt"
        ordering = ["chain", "order"]
        constraints = [models.UniqueConstraint(fields=["chain", "order"], name="approval_step_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.label}"


class Review(ChoiceLabels, models.Model):
    """One review step of one draft, for one round of review."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Chưa đến lượt")
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        RETURNED = "returned", pgettext_lazy("state", "Trả lại")
        FORWARDED = "forwarded", _("Đã chuyển tiếp")
        CANCELLED = "cancelled", _("Đã hủy")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reviews",
                                 verbose_name="văn bản")
    round = models.PositiveSmallIntegerField("lượt trình", default=1)
    order = models.PositiveSmallIntegerField("thứ tự")
    label = models.CharField("bước", max_length=150)
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews",
                                 verbose_name="người duyệt")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices, blank=True)
    is_signer = models.BooleanField("người ký", default=False)
    state = models.CharField("tình trạng", max_length=10, choices=State.choices, default=State.WAITING)
    comment = models.TextField("ý kiến", blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf_of = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "bước duyệt của văn bản"
        verbose_name_plural = "bước duyệt của văn bản"
        ordering = ["document_id", "round", "order", "id"]
        indexes = [models.Index(fields=["reviewer", "state"]), models.Index(fields=["document", "state"])]


class Delegation(models.Model):
    """Ủy quyền: while `principal` is away, `deputy` works their queue, recorded as such."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", verbose_name="cơ quan")
    principal = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="delegations_given",
                                  verbose_name="người ủy quyền")
    deputy = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="delegations_received",
                               verbose_name="người được ủy quyền")
    starts_on = models.DateField("từ ngày")
    ends_on = models.DateField("đến ngày")
    reason = models.CharField("lý do", max_length=255, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)

    class Meta:
        verbose_name = "ủy quyền"
        verbose_name_plural = "ủy quyền"
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["deputy", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.principal} → {self.deputy} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"


class Notification(models.Model):
    """In-app notice (the bell), mailed too when the person has an address."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name="người nhận")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name="văn bản")
    kind = models.CharField("loại", max_length=30)
    message = models.CharField("nội dung", max_length=500)
    key = models.CharField("khóa chống trùng", max_length=120, blank=True)
    created_at = models.DateTimeField("lúc", auto_now_add=True)
    read_at = models.DateTimeField("đã đọc lúc", null=True, blank=True)
    emailed_at = models.DateTimeField("đã gửi thư lúc", null=True, blank=True)

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"]),
                   # The reminders look up which of a chunk's keys are there already, whoever
                   # holds them (notifications.send_reminders): without this, a scan of the
                   # table per 2,000 assignments, as the unique index below starts with user.
                   models.Index(fields=["key"], condition=~Q(key=""), name="notification_key")]
        constraints = [models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""),
                                               name="notification_key_unique")]


class OfficialDay(models.Model):
    """A day the year's official decision makes off or working, against the standing calendar
    (the `holidays` package's Vietnam calendar, workflow.holidays): a day off in lieu (nghỉ bù),
    a swapped day (hoán đổi ngày làm việc: a Saturday worked so that a bridge day is off), or
    Tết's days when the Prime Minister's decision sets them otherwise. Entered each year by
    the platform admin; a system check (vpdt.W001) warns when next year has none."""

    class Kind(models.TextChoices):
        DAY_OFF = "off", "Ngày nghỉ (nghỉ bù, nghỉ hoán đổi)"
        WORKING_DAY = "work", "Ngày làm việc (làm bù thứ Bảy, làm việc thay ngày nghỉ)"

    day = models.DateField("ngày", unique=True)
    kind = models.CharField("loại", max_length=4, choices=Kind.choices)
    name = models.CharField("tên gọi", max_length=200,
                            help_text="Ví dụ: Nghỉ hoán đổi (làm bù thứ Bảy 26/4), Tết Nguyên đán (nghỉ bù).")
    decision = models.CharField("căn cứ", max_length=300, blank=True,
                                help_text="Văn bản công bố: số, ký hiệu, ngày của thông báo hoặc quyết định.")

    class Meta:
        verbose_name = "ngày nghỉ, ngày làm bù chính thức"
        verbose_name_plural = "ngày nghỉ, ngày làm bù chính thức"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}: {self.name}"


# --- Working faster: canned directions, read markers, saved filters (issue 13) ----------


class DirectionText(models.Model):
    """A canned direction (ý kiến chỉ đạo mẫu) of an agency, offered on the direction forms.

    Edited by the agency admin or a leader (workflow.services.directions)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="direction_texts",
                               verbose_name="cơ quan")
    text = models.TextField("nội dung chỉ đạo")
    order = models.PositiveSmallIntegerField("thứ tự", default=100)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ý kiến chỉ đạo mẫu"
        verbose_name_plural = "ý kiến chỉ đạo mẫu"
        ordering = ["agency", "order", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class DocumentRead(models.Model):
    """A person opened a document (its page): the lists show it unbolded. No row: unread."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+", verbose_name="cán bộ")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+", verbose_name="văn bản")
    read_at = models.DateTimeField("đọc lúc", auto_now_add=True)

    class Meta:
        verbose_name = "văn bản đã đọc"
        verbose_name_plural = "văn bản đã đọc"
        constraints = [models.UniqueConstraint(fields=["user", "document"], name="document_read_unique")]


class SavedFilter(models.Model):
    """A person's named filter set of one list (its path and query string), shown as a quick link."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="saved_filters", verbose_name="cán bộ")
    name = models.CharField("tên bộ lọc", max_length=60)
    path = models.CharField("danh sách", max_length=100)
    query = models.CharField("điều kiện lọc", max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "bộ lọc đã lưu"
        verbose_name_plural = "bộ lọc đã lưu"
        ordering = ["user", "path", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "path", "name"], name="saved_filter_unique")]

    def __str__(self) -> str:
        return self.name
