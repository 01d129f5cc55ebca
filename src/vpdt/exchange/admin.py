"""Admin: hub connections (secret write-only), the outbox with a retry action, the inbox (quarantined
packages: retry or discard), statuses."""

from django import forms
from django.contrib import admin, messages

from vpdt.core.errors import VpdtError
from vpdt.exchange import outbox, quarantine
from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage, StatusEvent


class HubConnectionForm(forms.ModelForm):
    secret = forms.CharField(label="khóa bí mật", required=False, widget=forms.PasswordInput(render_value=False),
                             help_text="Để trống: giữ khóa hiện tại.")

    class Meta:
        model = HubConnection
        fields = ["name", "endpoint", "system_id", "secret", "agencies", "enabled"]

    def save(self, commit=True):
        connection = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            connection.set_secret(self.cleaned_data["secret"])
        if commit:
            connection.save()
            self.save_m2m()
        return connection


@admin.register(HubConnection)
class HubConnectionAdmin(admin.ModelAdmin):
    form = HubConnectionForm
    list_display = ["__str__", "endpoint", "system_id", "enabled", "last_ok_at", "failures", "last_error"]
    filter_horizontal = ["agencies"]


@admin.action(description="Gửi lại các gói tin lỗi đã chọn")
def retry_messages(modeladmin, request, queryset):
    for message in queryset.filter(state=OutboxMessage.FAILED):
        outbox.retry(message, request.user)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "agency", "to_code", "message_type", "business_type", "status_code", "state", "attempts",
                    "next_attempt_at", "last_error", "hub_doc_id"]
    list_filter = ["state", "message_type"]
    search_fields = ["edxml_document_id", "to_code", "hub_doc_id"]
    actions = [retry_messages]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


def _quarantine_action(modeladmin, request, queryset, act, done: str) -> None:
    count = 0
    for item in queryset.filter(outcome=InboxItem.QUARANTINED):
        try:
            act(request.user, item)
            count += 1
        except VpdtError as exc:
            modeladmin.message_user(request, f"{item.hub_doc_id}: {exc.message}", messages.ERROR)
    modeladmin.message_user(request, done.format(count=count))


@admin.action(description="Tiếp nhận lại các gói tin bị cách ly đã chọn")
def retry_quarantined(modeladmin, request, queryset):
    _quarantine_action(modeladmin, request, queryset, quarantine.retry, "Đã tiếp nhận lại {count} gói tin.")


@admin.action(description="Bỏ các gói tin bị cách ly đã chọn")
def discard_quarantined(modeladmin, request, queryset):
    _quarantine_action(modeladmin, request, queryset, quarantine.discard, "Đã bỏ {count} gói tin.")


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    list_display = ["id", "agency", "from_code", "message_type", "business_type", "status_code", "outcome",
                    "reason_code", "signature_valid", "received_at", "acknowledged_at"]
    list_filter = ["outcome", "message_type", "reason_code"]
    search_fields = ["edxml_document_id", "from_code", "hub_doc_id", "package_sha256"]
    readonly_fields = [f.name for f in InboxItem._meta.fields]
    actions = [retry_quarantined, discard_quarantined]


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = ["document", "direction", "organ_id", "status_code", "description", "reported_at", "created_at"]
    list_filter = ["status_code", "direction"]
