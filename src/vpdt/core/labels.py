"""One catalogue of what a person reads for an internal code: audit actions, the objects and
fields they touch, roles, notification kinds, signature verdicts, approval step names.

Every page that shows an audit entry, a role code or a verdict asks here (the timeline of a
document, the person-history and the security page of the administration, the notifications)
and never prints the code itself: an unknown code reads as a generic phrase.
`tests/core/test_labels.py` lists every audit action written by `src/` and fails when one has
no label here. Labels are Vietnamese, marked for translation (English in the .po file).

It lives in core so that any layer may name a code for a person; it imports nothing above core
(role labels repeat `directory.roles.Role`'s, and a test holds them equal).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# ---------------------------------------------------------------------------------------
# Audit actions (vpdt.core.audit.record's first argument)
# ---------------------------------------------------------------------------------------
ACTIONS = {
    # documents (records, workflow)
    "document.receive": _("Tiếp nhận văn bản"),
    "document.import_batch": _("Nhập một lô văn bản từ hệ thống cũ"),
    "document.create": _("Tạo dự thảo"),
    "document.attach": _("Thêm tệp"),
    "document.attachment_file": _("Thay tệp đính kèm"),
    "document.file_type_checked": _("Kiểm tra loại tệp"),
    "document.update": _("Sửa thông tin"),
    "document.draft_version": _("Tải lên phiên bản dự thảo"),
    "document.recipients": _("Cập nhật nơi nhận"),
    "document.register": _("Vào sổ văn bản đến"),
    "document.return": _("Trả lại nơi gửi"),
    "document.submit": _("Trình lãnh đạo"),
    "document.assign": _("Lãnh đạo phân công xử lý"),
    "document.reassign": _("Lãnh đạo đơn vị giao xử lý"),
    "document.due_date": _("Đặt hạn xử lý"),
    "document.opinion": _("Cho ý kiến"),
    "document.extension_request": _("Đề nghị gia hạn"),
    "document.extension_decide": _("Duyệt gia hạn"),
    "document.transfer_back": _("Chuyển lại"),
    "document.complete": _("Hoàn thành xử lý"),
    "document.link_reply": _("Liên kết văn bản trả lời"),
    "document.submit_review": _("Trình duyệt dự thảo"),
    "document.review_approve": _("Duyệt, chuyển bước tiếp"),
    "document.review_forward": _("Chuyển tiếp người duyệt"),
    "document.approve": _("Duyệt ký"),
    "document.send_back": _("Trả lại để sửa"),
    "document.signer": _("Ghi người ký"),
    "document.issue_number": _("Cấp số, ngày"),
    "document.release": _("Phát hành"),
    "document.deliver_unit": _("Chuyển đến đơn vị trong cơ quan"),
    "document.acknowledge": _("Đơn vị xác nhận đã nhận"),
    "document.recall": _("Thu hồi"),
    "document.recall_unit": _("Thu hồi khỏi đơn vị trong cơ quan"),
    "document.replace": _("Thay thế"),
    "document.update_released": _("Cập nhật văn bản đã phát hành"),
    "document.grant_access": _("Cấp quyền xem"),
    "document.read_secret": _("Xem văn bản mật"),
    "document.paper_sent": _("Đã gửi bản giấy"),
    "recipient.state": _("Cập nhật tình trạng nơi nhận"),
    "dossier.create": _("Lập hồ sơ"),
    "dossier.add_document": _("Đưa văn bản vào hồ sơ"),
    # --- archive filing: dossiers as work happens (issue 19)
    "dossier.remove_document": _("Bỏ văn bản khỏi hồ sơ"),
    "dossier.reorder": _("Sắp xếp văn bản trong hồ sơ"),
    "dossier.close": _("Kết thúc hồ sơ"),
    # the interconnection
    "exchange.connect": _("Kết nối trục liên thông"),
    "exchange.key_generated": _("Tạo khóa trao đổi của cơ quan"),
    "exchange.queue": _("Xếp hàng gửi qua trục liên thông"),
    "exchange.sent": _("Đã gửi qua trục liên thông"),
    "exchange.send_failed": _("Gửi qua trục liên thông bị lỗi"),
    "exchange.retry": _("Gửi lại qua trục liên thông"),
    "exchange.status_queued": _("Xếp hàng gửi trạng thái xử lý"),
    "exchange.status_received": _("Nhận trạng thái xử lý từ nơi nhận"),
    "exchange.reconciled": _("Đối soát với trục liên thông"),
    "exchange.revoked": _("Nơi gửi thu hồi văn bản"),
    "exchange.replaced": _("Nơi gửi thay thế văn bản"),
    "exchange.updated": _("Nơi gửi cập nhật văn bản"),
    "exchange.duplicate_dropped": _("Bỏ gói tin trùng"),
    "exchange.quarantined": _("Cách ly gói tin không nhận được"),
    "exchange.quarantine_retried": _("Nhận lại gói tin bị cách ly"),
    "exchange.quarantine_discarded": _("Hủy gói tin bị cách ly"),
    "exchange.take_back_request": _("Đề nghị lấy lại văn bản"),
    "exchange.take_back_requested": _("Nơi gửi đề nghị lấy lại văn bản"),
    "exchange.taken_back": _("Đã lấy lại văn bản"),
    # signatures
    "signing.sign_person": _("Ký số (người ký)"),
    "signing.sign_agency": _("Ký số (con dấu cơ quan)"),
    "signing.sign_appendix": _("Ký số phụ lục"),
    "signing.demo_signed": _("Ký số (dữ liệu mẫu)"),
    "signing.verify": _("Kiểm tra chữ ký số"),
    "signing.override": _("Vào sổ dù chữ ký số không hợp lệ"),
    "signing.unlock_failed": _("Mở khóa ký số không thành công"),
    "signing.key_set": _("Cài đặt khóa ký số"),
    "signing.key_ready": _("Kiểm tra khóa ký số, lưu dạng mở nhanh"),
    "signing.key_deactivate": _("Ngừng dùng khóa ký số"),
    "signing.trust_anchor_add": _("Thêm tổ chức cấp chứng thư tin cậy"),
    "signing_key.create": _("Tạo khóa ký số"),
    "signing_key.update": _("Sửa khóa ký số"),
    "signing_key.delete": _("Xóa khóa ký số"),
    "signing_policy.create": _("Đặt quy định chữ ký số"),
    "signing_policy.update": _("Sửa quy định chữ ký số"),
    "signing_policy.delete": _("Xóa quy định chữ ký số"),
    "trust_anchor.create": _("Thêm tổ chức cấp chứng thư tin cậy"),
    "trust_anchor.update": _("Sửa tổ chức cấp chứng thư tin cậy"),
    "trust_anchor.delete": _("Xóa tổ chức cấp chứng thư tin cậy"),
    # accounts and sign-in
    "account.create": _("Tạo tài khoản"),
    "account.update": _("Sửa thông tin tài khoản"),
    "account.move": _("Chuyển đơn vị công tác"),
    "account.roles_change": _("Thay đổi vai trò"),
    "account.deactivate": _("Khóa tài khoản"),
    "account.dormant_disable": _("Khóa tài khoản lâu không dùng"),
    "account.password_reset_link": _("Gửi liên kết đặt lại mật khẩu"),
    "account.mfa_reset": _("Đặt lại xác thực hai bước"),
    "admin_request.create": _("Gửi đề nghị thay đổi quyền"),
    "admin_request.approve": _("Duyệt đề nghị thay đổi quyền"),
    "admin_request.refuse": _("Từ chối đề nghị thay đổi quyền"),
    "auth.unlock": _("Mở khóa đăng nhập"),
    "auth.password_change": _("Đổi mật khẩu"),
    "auth.session_end": _("Kết thúc phiên đăng nhập"),
    "auth.token_create": _("Tạo mã truy cập API"),
    "auth.token_revoke": _("Thu hồi mã truy cập API"),
    "mfa.enrol": _("Bật xác thực hai bước"),
    "mfa.enrol_failed": _("Bật xác thực hai bước không thành công"),
    "mfa.reset": _("Đặt lại xác thực hai bước"),
    "mfa.recovery_renewed": _("Tạo lại mã khôi phục"),
    "mfa.login_failed": _("Nhập sai mã xác thực khi đăng nhập"),
    "mfa.login_throttled": _("Tạm chặn nhập mã xác thực khi đăng nhập"),
    "mfa.signing_failed": _("Nhập sai mã xác thực khi ký số"),
    "mfa.signing_throttled": _("Tạm chặn nhập mã xác thực khi ký số"),
    "mfa.recovery_failed": _("Nhập sai mã khôi phục"),
    "mfa.recovery_throttled": _("Tạm chặn nhập mã khôi phục"),
    "sso.link": _("Liên kết đăng nhập một lần"),
    "sso.unlink": _("Bỏ liên kết đăng nhập một lần"),
    "sso.refuse": _("Từ chối đăng nhập một lần"),
    "user.create": _("Tạo tài khoản"),
    "user.update": _("Sửa tài khoản"),
    "user.delete": _("Xóa tài khoản"),
    "user.password_change": _("Tự đổi mật khẩu"),
    "user.password_reset": _("Đặt lại mật khẩu"),
    "user.role.create": _("Thêm vai trò"),
    "user.role.update": _("Sửa vai trò"),
    "user.role.delete": _("Bỏ vai trò"),
    "user.groups.add": _("Thêm vào nhóm quyền"),
    "user.groups.remove": _("Bỏ khỏi nhóm quyền"),
    "user.groups.clear": _("Bỏ khỏi mọi nhóm quyền"),
    "user.permissions.add": _("Cấp quyền quản trị"),
    "user.permissions.remove": _("Bỏ quyền quản trị"),
    "user.permissions.clear": _("Bỏ mọi quyền quản trị"),
    "group.create": _("Tạo nhóm quyền"),
    "group.update": _("Sửa nhóm quyền"),
    "group.delete": _("Xóa nhóm quyền"),
    "group.permissions.add": _("Thêm quyền cho nhóm"),
    "group.permissions.remove": _("Bỏ quyền của nhóm"),
    "group.permissions.clear": _("Bỏ mọi quyền của nhóm"),
    # the organisation and its rules
    "agency.create": _("Thêm cơ quan"),
    "agency.update": _("Sửa thông tin cơ quan"),
    "agency.delete": _("Xóa cơ quan"),
    "unit.create": _("Thêm đơn vị"),
    "unit.update": _("Sửa đơn vị"),
    "unit.delete": _("Xóa đơn vị"),
    "unit.save": _("Lưu đơn vị"),
    "chain.create": _("Tạo quy trình duyệt"),
    "chain.step_save": _("Lưu bước duyệt"),
    "chain.step_delete": _("Xóa bước duyệt"),
    "delegation.create": _("Ủy quyền"),
    "delegation.revoke": _("Thu hồi ủy quyền"),
    # recipients (the picker), registers of Phụ lục IV, .docx renditions
    "document.info_done": _("Đã xem văn bản được giao để biết"),
    "direction_text.add": _("Thêm ý kiến chỉ đạo mẫu"),
    "direction_text.update": _("Sửa ý kiến chỉ đạo mẫu"),
    "direction_text.delete": _("Xóa ý kiến chỉ đạo mẫu"),
    "period_report.mail": _("Gửi báo cáo định kỳ"),
    "period_report.recipient_add": _("Thêm người nhận báo cáo định kỳ"),
    "period_report.recipient_remove": _("Bỏ người nhận báo cáo định kỳ"),
    "favourite_agency.add": _("Thêm cơ quan thường gửi"),
    "favourite_agency.remove": _("Bỏ cơ quan thường gửi"),
    "recipient_group.save": _("Lưu nhóm nơi nhận"),
    "register.close": _("Khóa sổ văn bản"),
    "register.export": _("Tải sổ văn bản"),
    "records.rendition": _("Chuyển đổi dự thảo sang PDF"),
    "records.rendition_retry": _("Chuyển đổi lại dự thảo sang PDF"),
    "search.file_text": _("Trích nội dung tệp để tìm kiếm"),
    # --- archive keep: reading archived dossiers, disposal (issue 19)
    "archive.read_request": _("Đề nghị đọc hồ sơ lưu trữ"),
    "archive.read_approve": _("Duyệt cho đọc hồ sơ lưu trữ"),
    "archive.read_refuse": _("Không cho đọc hồ sơ lưu trữ"),
    "archive.read": _("Đọc hồ sơ lưu trữ"),
    "disposal.propose": _("Lập danh sách hồ sơ đề nghị hủy"),
    "disposal.submit": _("Gửi duyệt danh sách hồ sơ đề nghị hủy"),
    "disposal.approve_leader": _("Lãnh đạo duyệt hủy hồ sơ"),
    "disposal.approve_archive": _("Lưu trữ duyệt hủy hồ sơ"),
    "disposal.refuse": _("Không duyệt danh sách hồ sơ đề nghị hủy"),
    "disposal.destroy": _("Hủy hồ sơ hết thời hạn bảo quản"),
    # --- archive fileplan: the file plan (danh mục hồ sơ) and the retention table
    "file_plan.create": _("Lập danh mục hồ sơ"),
    "file_plan.entry_add": _("Thêm hồ sơ vào danh mục"),
    "file_plan.entry_update": _("Sửa dòng danh mục hồ sơ"),
    "file_plan.entry_delete": _("Xóa dòng danh mục hồ sơ"),
    "file_plan.entry_move": _("Đổi thứ tự dòng danh mục hồ sơ"),
    "file_plan.reorder": _("Sắp xếp lại danh mục hồ sơ"),
    "file_plan.submit": _("Trình duyệt danh mục hồ sơ"),
    "file_plan.approve": _("Duyệt danh mục hồ sơ"),
    "file_plan.return": _("Trả lại danh mục hồ sơ"),
    "file_plan.publish": _("Ban hành danh mục hồ sơ"),
    "file_plan.open_dossier": _("Mở hồ sơ theo danh mục"),
    "file_plan.export": _("Tải danh mục hồ sơ"),
    "retention_period.create": _("Thêm dòng bảng thời hạn bảo quản"),
    "retention_period.update": _("Sửa dòng bảng thời hạn bảo quản"),
    "retention_period.delete": _("Xóa dòng bảng thời hạn bảo quản"),
    # --- archive transfer
    "transfer.prepare": _("Lập mục lục hồ sơ nộp lưu"),
    "transfer.add": _("Thêm hồ sơ vào mục lục nộp lưu"),
    "transfer.remove": _("Bỏ hồ sơ khỏi mục lục nộp lưu"),
    "transfer.submit": _("Gửi mục lục hồ sơ nộp lưu cho lưu trữ"),
    "transfer.item_accept": _("Lưu trữ nhận hồ sơ nộp lưu"),
    "transfer.item_return": _("Lưu trữ trả lại hồ sơ nộp lưu"),
    "transfer.accept": _("Lưu trữ tiếp nhận mục lục hồ sơ nộp lưu"),
    "transfer.download": _("Tải gói hồ sơ nộp lưu"),
    "transfer.dossier_submitted": _("Hồ sơ được gửi nộp lưu"),
    "transfer.dossier_returned": _("Hồ sơ bị lưu trữ trả lại"),
    "transfer.dossier_archived": _("Hồ sơ đã nộp vào lưu trữ cơ quan"),
    "archive.export": _("Xuất gói hồ sơ cho lưu trữ ngoài"),
    # --- api: system accounts and their scoped tokens (vpdt.directory.system_accounts)
    "api.account_create": _("Tạo tài khoản hệ thống"),
    "api.account_deactivate": _("Ngừng tài khoản hệ thống"),
    "api.token_issue": _("Cấp khóa API cho tài khoản hệ thống"),
    "api.token_revoke": _("Thu hồi khóa API của tài khoản hệ thống"),
    # --- hooks: webhooks of an agency (issue 18)
    "webhook.create": _("Đăng ký webhook"),
    "webhook.pause": _("Tạm dừng webhook"),
    "webhook.resume": _("Dùng lại webhook"),
    "webhook.delete": _("Xóa đăng ký webhook"),
    "webhook.resend": _("Gửi lại sự kiện webhook"),
    # --- motcua: the one-stop shop (catalogue, counter, processing, lookup)
    "motcua.procedure_create": _("Thêm thủ tục hành chính"),
    "motcua.procedure_update": _("Sửa thủ tục hành chính"),
    "motcua.activation": _("Áp dụng thủ tục tại cơ quan"),
    "motcua.catalogue_import": _("Nhập danh mục thủ tục hành chính"),
    "motcua.submit": _("Nộp hồ sơ trực tuyến"),
    "motcua.register": _("Nhận hồ sơ tại Bộ phận Một cửa"),
    "motcua.accept": _("Tiếp nhận hồ sơ, hẹn trả kết quả"),
    "motcua.supplement_counter": _("Yêu cầu bổ sung, hoàn thiện hồ sơ khi tiếp nhận"),
    "motcua.refuse": _("Từ chối tiếp nhận hồ sơ"),
    "motcua.secret_issued": _("In giấy tiếp nhận, cấp mã bí mật tra cứu"),
    "motcua.transfer": _("Chuyển hồ sơ đến phòng chuyên môn"),
    "motcua.take": _("Nhận hồ sơ để xử lý"),
    "motcua.appraise": _("Ghi ý kiến thẩm định hồ sơ"),
    "motcua.submit_approval": _("Trình lãnh đạo phê duyệt hồ sơ"),
    "motcua.send_back": _("Lãnh đạo trả lại hồ sơ để thẩm định lại"),
    "motcua.approve": _("Phê duyệt kết quả giải quyết hồ sơ"),
    "motcua.return": _("Trả kết quả cho công dân"),
    "motcua.supplement": _("Yêu cầu bổ sung hồ sơ, dừng tính thời gian"),
    "motcua.supplement_answer": _("Nhận hồ sơ bổ sung, tính lại thời gian"),
    "motcua.withdraw": _("Công dân rút hồ sơ"),
    "motcua.stop": _("Dừng xử lý hồ sơ"),
    "motcua.result_download": _("Công dân tải kết quả điện tử"),
    # --- motcua2: deadlines, joint processing, opinions, fees, portals
    "motcua.delay": _("Ghi nhận hồ sơ chậm xử lý"),
    "motcua.apology": _("Phiếu xin lỗi, hẹn lại ngày trả kết quả"),
    "motcua.joint_letter": _("Văn bản liên thông hồ sơ một cửa"),
    "motcua.joint_send": _("Chuyển hồ sơ liên thông"),
    "motcua.joint_receive": _("Nhận hồ sơ liên thông"),
    "motcua.joint_status": _("Cập nhật trạng thái hồ sơ liên thông"),
    "motcua.joint_result": _("Nhận kết quả hồ sơ liên thông"),
    "motcua.joint_report_result": _("Gửi kết quả hồ sơ liên thông"),
    "motcua.joint_unmatched": _("Hồ sơ liên thông không khớp"),
    "motcua.joint_unreadable": _("Dữ liệu hồ sơ liên thông không đọc được"),
    "motcua.opinion_ask": _("Xin ý kiến cơ quan phối hợp về hồ sơ"),
    "motcua.opinion_reply": _("Nhận ý kiến cơ quan phối hợp về hồ sơ"),
    "motcua.fee_paid": _("Ghi nhận nộp phí, lệ phí"),
    # motcua3: status 6, the financial obligation that stops the clock
    "motcua.financial": _("Yêu cầu thực hiện nghĩa vụ tài chính, dừng tính thời gian"),
    "motcua.financial_met": _("Công dân đã thực hiện nghĩa vụ tài chính, tính lại thời gian"),
    # the audit log itself
    "audit.genesis": _("Mở nhật ký hệ thống"),
}
UNKNOWN_ACTION = _("Thao tác khác")


def action_label(code: str) -> str:
    """What a person reads for an audit action; never the code."""
    return str(ACTIONS.get(code, UNKNOWN_ACTION))


# What an audit entry is about (AuditEntry.object_type is "app_label.model").
OBJECTS = {
    "records.document": _("Văn bản"),
    "webhooks.webhooksubscription": _("Địa chỉ nhận sự kiện (webhook)"),  # --- hooks
    # --- archive fileplan
    "archive.fileplan": _("Danh mục hồ sơ"),
    "archive.retentionperiod": _("Dòng bảng thời hạn bảo quản"),
    "archive.dossier": _("Hồ sơ"),  # --- archive filing
    "records.attachment": _("Tệp"),
    "directory.user": _("Tài khoản"),
    "directory.roleassignment": _("Vai trò"),
    "directory.agency": _("Cơ quan"),
    "directory.unit": _("Đơn vị"),
    "directory.adminrequest": _("Đề nghị thay đổi quyền"),
    "auth.group": _("Nhóm quyền"),
    "workflow.approvalchain": _("Quy trình duyệt"),
    "workflow.delegation": _("Ủy quyền"),
    "signing.signingkey": _("Khóa ký số"),
    "signing.signingpolicy": _("Quy định chữ ký số"),
    "signing.trustanchor": _("Tổ chức cấp chứng thư tin cậy"),
    # --- archive keep
    "archive.archivereading": _("Yêu cầu đọc hồ sơ lưu trữ"),
    "archive.disposallist": _("Danh sách hồ sơ đề nghị hủy"),
    # --- motcua
    "motcua.dossier": _("Hồ sơ thủ tục hành chính"),
    "motcua.procedure": _("Thủ tục hành chính"),
    "motcua.procedureactivation": _("Thủ tục áp dụng tại cơ quan"),
}


def object_label(code: str) -> str:
    return str(OBJECTS.get(code, _("Đối tượng")))


# The fields an audit entry's before/after may name.
FIELDS = {
    "username": _("Tên đăng nhập"), "full_name": _("Họ và tên"), "first_name": _("Tên"), "last_name": _("Họ"),
    "email": _("Thư điện tử"), "is_active": _("Đang dùng"), "is_staff": _("Vào trang quản trị"),
    "is_superuser": _("Toàn quyền"), "agency": _("Cơ quan"), "unit": _("Đơn vị"), "position": _("Chức vụ"),
    "phone": _("Điện thoại"), "user": _("Cán bộ"), "role": _("Vai trò"), "roles": _("Vai trò"),
    "name": _("Tên"), "abbreviation": _("Tên viết tắt"), "parent": _("Trực thuộc"), "active": _("Đang dùng"),
    "code": _("Mã"), "level": _("Cấp"), "interconnected": _("Kết nối liên thông"), "password": _("Mật khẩu"),
    "items": _("Mục"), "add": _("Thêm"), "remove": _("Bỏ"), "reason": _("Lý do"), "kind": _("Loại"),
    "require_signatures": _("Bắt buộc chữ ký số"), "fingerprint": _("Dấu vân tay"), "subject": _("Chủ thể"),
    "label": _("Tên gọi"), "order": _("Thứ tự"), "is_signer": _("Là bước ký"),
}


# Roles (directory.roles.Role; a test holds the two equal).
ROLES = {
    "clerk": _("Văn thư"),
    "leader": _("Lãnh đạo cơ quan"),
    "unit_head": _("Lãnh đạo phòng/đơn vị"),
    "specialist": _("Chuyên viên"),
    "archivist": _("Cán bộ lưu trữ"),
    "agency_admin": _("Quản trị đơn vị"),
    "platform_admin": _("Quản trị hệ thống"),
    "motcua_counter": _("Công chức tiếp nhận một cửa"),  # --- motcua
    "motcua_admin": _("Quản trị một cửa"),
}


def role_label(code: str) -> str:
    return str(ROLES.get(code, code if " " in str(code) else _("Vai trò khác")))


def value_label(key: str, value) -> str:
    """A before/after value as a person reads it: roles named, yes/no, lists joined."""
    if isinstance(value, bool):
        return str(_("Có") if value else _("Không"))
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_label(key, v) for v in value)
    if key in ("role", "roles", "add", "remove") and str(value) in ROLES:
        return role_label(str(value))
    return str(value)


def describe_change(detail: dict | None) -> list[tuple[str, str, str]]:
    """(field label, before, after) for an audit entry's detail {"before": {...}, "after": {...}}."""
    detail = detail or {}
    before, after = detail.get("before") or {}, detail.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        if key not in FIELDS:
            continue
        rows.append((str(FIELDS[key]), value_label(key, before.get(key)) if key in before else "",
                     value_label(key, after.get(key)) if key in after else ""))
    for key in ("items", "add", "remove", "roles"):
        if key in detail and key in FIELDS and not isinstance(detail[key], dict):
            rows.append((str(FIELDS[key]), "", value_label(key, detail[key])))
    return rows


# Notification kinds (workflow.models.Notification.kind).
NOTIFICATIONS = {
    "welcome": _("Chào mừng"),
    "submitted": _("Văn bản trình xin ý kiến chỉ đạo"),
    "assigned": _("Được giao xử lý"),
    "extension": _("Đề nghị gia hạn"),
    "extension_decided": _("Kết quả đề nghị gia hạn"),
    "transfer_back": _("Văn bản bị chuyển lại"),
    "completed": _("Đã hoàn thành xử lý"),
    "review": _("Dự thảo chờ duyệt"),
    "sent_back": _("Dự thảo bị trả lại"),
    "approved": _("Dự thảo đã được duyệt"),
    "released": _("Văn bản đã phát hành"),
    "arrived": _("Văn bản đến"),
    "recalled": _("Văn bản bị thu hồi"),
    "delegation": _("Ủy quyền"),
    "digest": _("Tổng hợp việc cần làm"),
    "exchange_arrived": _("Văn bản đến qua liên thông"),
    "exchange_reconciled": _("Đã nhận bản điện tử của văn bản giấy"),
    "exchange_recalled": _("Văn bản đến bị thu hồi"),
    "exchange_updated": _("Văn bản đến được cập nhật"),
    "exchange_replaced": _("Văn bản đến bị thay thế"),
    # --- archive keep
    "archive_due": _("Hồ sơ sắp đến hạn nộp lưu"),
    "archive_reading": _("Đọc hồ sơ lưu trữ"),
    "archive_disposal": _("Hủy hồ sơ hết thời hạn bảo quản"),
    # --- archive fileplan
    "file_plan_submitted": _("Danh mục hồ sơ chờ duyệt"),
    "file_plan_approved": _("Danh mục hồ sơ đã được duyệt"),
    "file_plan_returned": _("Danh mục hồ sơ bị trả lại"),
    "file_plan_published": _("Danh mục hồ sơ đã ban hành"),
    # --- motcua2
    "motcua_due": _("Hồ sơ một cửa sắp đến hạn xử lý"),
    "motcua_late": _("Hồ sơ một cửa quá hạn xử lý"),
}


def notification_label(kind: str) -> str:
    return str(NOTIFICATIONS.get(kind, _("Thông báo")))


# Signature verdicts (signing.pdf summaries): the short badge and the sentence.
VERDICTS = {
    "valid": _("Hợp lệ"),
    "valid_untrusted": _("Hợp lệ nhưng chưa được tin cậy"),
    "modified": _("Bị sửa đổi sau khi ký"),
    "invalid": _("Không hợp lệ"),
    "revoked": _("Chứng thư đã bị thu hồi"),
    "expired": _("Chứng thư đã hết hạn"),
    "unreadable": _("Không đọc được tệp PDF"),
    "unsigned": _("Không có chữ ký số"),
}
VERDICT_SENTENCES = {
    "valid": _("Chữ ký số hợp lệ: văn bản còn nguyên vẹn từ khi ký và chứng thư số được tin cậy."),
    "valid_untrusted": _("Văn bản còn nguyên vẹn từ khi ký, nhưng chứng thư số không do tổ chức được tin cậy cấp: "
                         "cần xác minh người ký."),
    "modified": _("Văn bản đã bị sửa đổi sau khi ký: không dùng bản này như bản gốc."),
    "invalid": _("Chữ ký số không hợp lệ: dữ liệu chữ ký bị hỏng hoặc không khớp với văn bản."),
    "revoked": _("Chứng thư số của người ký đã bị thu hồi: chữ ký không còn giá trị."),
    "expired": _("Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra."),
    "unsigned": _("Văn bản không có chữ ký số."),
}


def verdict_sentence(summary: str, fallback: str = "") -> str:
    return str(VERDICT_SENTENCES.get(summary, fallback))


# Approval step names the application writes itself (workflow chains, the demo's and the
# default ones): a name an administrator typed stays as typed.
STEP_NAMES = {
    "Lãnh đạo phòng duyệt nội dung": _("Lãnh đạo phòng duyệt nội dung"),
    "Chánh Văn phòng kiểm tra": _("Chánh Văn phòng kiểm tra"),
    "Lãnh đạo ký": _("Lãnh đạo ký"),
    "Lãnh đạo cơ quan duyệt, ký": _("Lãnh đạo cơ quan duyệt, ký"),
    "Giám đốc ký": _("Giám đốc ký"),
    "Chủ tịch ký": _("Chủ tịch ký"),
    "Chánh Văn phòng ký": _("Chánh Văn phòng ký"),
    "Trưởng phòng duyệt → Lãnh đạo ký": _("Trưởng phòng duyệt → Lãnh đạo ký"),
    "Trưởng phòng → Chánh Văn phòng → Lãnh đạo ký": _("Trưởng phòng → Chánh Văn phòng → Lãnh đạo ký"),
}


def step_label(name: str) -> str:
    return str(STEP_NAMES.get(name, name))


SYSTEM = pgettext_lazy("actor", "Hệ thống")
