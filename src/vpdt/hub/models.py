"""The hub's durable state: registry, upstream link, packages, per-receiver queue, message log.

All of it lives in the hub's own database (alias "hub", see router.py). Writes go
through services.py, never straight from views or the CLI.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from vpdt.hub import credentials  # noqa: F401  (declares the sealed secrets for `vpdt rotate-secrets`)


class System(models.Model):
    """A VXP client with credentials: an agency's software, or a downstream hub."""

    AGENCY = "agency"
    HUB = "hub"
    KINDS = [(AGENCY, "Hệ thống QLVB của đơn vị"), (HUB, "Trục cấp dưới")]

    system_id = models.CharField("mã hệ thống", max_length=100, unique=True)
    name = models.CharField("tên", max_length=300, blank=True)
    kind = models.CharField("loại", max_length=10, choices=KINDS, default=AGENCY)
    secret_encrypted = models.TextField("khóa bí mật (đã mã hóa)")
    active = models.BooleanField("đang hoạt động", default=True)
    # The zone its XroadVnpt-timestamp is written in (the SDK: the JVM's); empty: HUB_CLIENT_TIME_ZONE.
    time_zone = models.CharField("múi giờ của tiêu đề timestamp", max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "hệ thống kết nối"

    def __str__(self) -> str:
        return self.system_id


class Route(models.Model):
    """A downstream hub serves every code ending in `suffix` (a subtree of QCVN 102 codes).

    `000.00.00.H53` served as a subtree gives suffix `H53` (all of Tây Ninh);
    `000.00.38.H53` gives `38.H53`. The longest matching suffix wins.
    """

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="routes")
    suffix = models.CharField("hậu tố mã", max_length=100, unique=True)

    class Meta:
        verbose_name = "tuyến trục cấp dưới"


class Agency(models.Model):
    """An agency known to this hub; `system` is the software that sends and receives for it."""

    code = models.CharField("mã định danh", max_length=100, unique=True)
    # Its code in the QĐ 20/2020/QĐ-TTg scheme (Thông tư 01/2022/TT-BTTTT), when it has one:
    # packages and routing accept either code; `code` stays the QCVN 102 code.
    code_qd20 = models.CharField("mã định danh theo QĐ 20/2020", max_length=100, blank=True, default="")
    name = models.CharField("tên đơn vị", max_length=500)
    parent_code = models.CharField("mã đơn vị cấp trên", max_length=100, blank=True)
    mail = models.CharField(max_length=200, blank=True)
    mobile = models.CharField(max_length=50, blank=True)
    fax = models.CharField(max_length=50, blank=True)
    system = models.ForeignKey(System, null=True, on_delete=models.PROTECT, related_name="agencies")
    active = models.BooleanField(default=True)
    # getSynchronizeUnit: the message log's seq of the last change of this row (monotonic).
    version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "đơn vị"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code_qd20"], condition=~Q(code_qd20=""),
                                               name="hub_agency_code_qd20_once")]


class Upstream(models.Model):
    """The upper hub (at most one row, id 1): where codes not served here are sent."""

    url = models.CharField(max_length=500)
    system_id = models.CharField(max_length=100)
    secret_encrypted = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "trục cấp trên"


class Package(models.Model):
    """One edXML file, stored once on disk under its SHA-256 (content-addressed)."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField()
    message_type = models.CharField(max_length=10)  # edoc | status
    from_code = models.CharField(max_length=100)
    document_id = models.CharField(max_length=500, blank=True)
    business_type = models.SmallIntegerField(null=True)
    status_code = models.CharField(max_length=4, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    notation = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True)  # content removed by retention

    class Meta:
        verbose_name = "gói tin"
        # a status coming back finds the document's deliveries by DocumentId (_note_status)
        indexes = [models.Index(fields=["document_id"], name="hub_package_document_idx")]


class Submission(models.Model):
    """One accepted sendEdoc (or one package pulled from the upper hub): the sender's DocId."""

    doc_id = models.CharField(max_length=64, unique=True)
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="submissions")
    system = models.ForeignKey(System, null=True, on_delete=models.PROTECT, related_name="submissions")
    from_code = models.CharField(max_length=100)
    via_upstream = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class Delivery(models.Model):
    """One package for one receiver: its own docId and transport state (the queue entry)."""

    LOCAL = "local"  # pulled by the agency's system here
    DOWNSTREAM = "downstream"  # pulled by a downstream hub
    UPSTREAM = "upstream"  # pushed to the upper hub by the forwarder
    REFUSED = "refused"  # unknown receiver: kept so the sender sees why
    ROUTES = [(LOCAL, LOCAL), (DOWNSTREAM, DOWNSTREAM), (UPSTREAM, UPSTREAM), (REFUSED, REFUSED)]

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAIL = "fail"
    STATES = [(PENDING, "chờ nhận"), (PROCESSING, "đang xử lý"), (DONE, "đã nhận"), (FAIL, "lỗi")]

    doc_id = models.CharField(max_length=64, unique=True)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="deliveries")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="deliveries")
    message_type = models.CharField(max_length=10)
    from_code = models.CharField(max_length=100)
    to_code = models.CharField(max_length=100)
    route = models.CharField(max_length=12, choices=ROUTES)
    holder = models.ForeignKey(System, null=True, on_delete=models.PROTECT, related_name="inbox")
    state = models.CharField(max_length=12, choices=STATES, default=PENDING)
    error_code = models.CharField(max_length=10, blank=True)
    error_desc = models.CharField(max_length=1000, blank=True)
    # DocumentId + From + receiver, for new documents only (revoke/update reuse the DocumentId).
    dedupe_key = models.CharField(max_length=800, null=True)
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True)
    remote_doc_id = models.CharField(max_length=64, blank=True)  # DocId at the upper hub
    receive_status = models.CharField(max_length=4, blank=True)  # last business StatusCode back
    receive_status_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    fetched_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "gói tin chờ chuyển"
        constraints = [
            models.UniqueConstraint(fields=["package", "to_code"], condition=~Q(route="refused"),
                                    name="hub_delivery_once_per_receiver"),
            models.UniqueConstraint(fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="hub_delivery_document_once"),
        ]
        indexes = [
            # a system's queue (getReceivedEdocList, countReceive*): only waiting deliveries are in
            # it, in the list's order, so its cost does not grow with the finished ones kept
            models.Index(fields=["holder", "message_type", "id"], name="hub_waiting_idx",
                         condition=Q(state="pending") | Q(state="processing")),
            models.Index(fields=["route", "state", "next_attempt_at"], name="hub_forward_idx"),
            # retention (prune_done): finished deliveries by age
            models.Index(fields=["state", "done_at"], name="hub_done_idx"),
        ]


class LogHead(models.Model):
    """The end of the message log (one row): taken first in every hub write transaction."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class LogEntry(models.Model):
    """Append-only message log in a hash chain: entry_hash = SHA-256(prev_hash + fields)."""

    ACCEPTED = "accepted"
    FORWARDED = "forwarded"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    REFUSED = "refused"
    PURGED = "purged"
    PRUNED = "pruned"  # finished deliveries removed by retention (HUB_KEEP_DONE_DAYS)
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    GRANTED = "granted"
    REVOKED = "revoked"

    seq = models.BigIntegerField(unique=True)
    at = models.CharField(max_length=40)  # ISO 8601 UTC, hashed as written
    action = models.CharField(max_length=20)
    doc_id = models.CharField(max_length=64, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    from_code = models.CharField(max_length=100, blank=True)
    to_code = models.CharField(max_length=100, blank=True)
    system_id = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=1000, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "nhật ký thông điệp"
        ordering = ["seq"]


class Grant(models.Model):
    """The operator lets `system` register and remove (registerAgency / deleteAgency) the
    agencies strictly below `code`: the codes ending in `.suffix`, the root itself excluded."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="grants")
    code = models.CharField("mã gốc được cấp", max_length=100)
    suffix = models.CharField("hậu tố mã", max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "phạm vi mã được cấp"
        constraints = [models.UniqueConstraint(fields=["system", "suffix"], name="hub_grant_once")]


class SeenRequest(models.Model):
    """A request signature (hash-header) already accepted: each is accepted once. The unique
    key is the guard across threads and processes; rows past `expires_at` (their timestamp
    is then outside the clock window anyway) are pruned."""

    signature = models.CharField(max_length=64, unique=True)
    system_id = models.CharField(max_length=100)
    expires_at = models.DateTimeField(db_index=True)


class RefusedRequest(models.Model):
    """A request refused after its system was identified: authenticated, or a known system
    id whose signature did not verify. For the operator (`vpdt hub refused`), not chained."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    system_id = models.CharField(max_length=100)
    authenticated = models.BooleanField()
    operation = models.CharField(max_length=40)
    error_code = models.CharField(max_length=10)
    reason = models.CharField(max_length=1000)
    remote_addr = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "yêu cầu bị từ chối"
        indexes = [models.Index(fields=["system_id", "at"], name="hub_refused_system_idx")]
