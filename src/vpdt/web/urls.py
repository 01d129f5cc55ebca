"""Addresses of the frame of the pages: signing in and out, the person's account, passwords,
attachments (namespace `web`).

The daily work's pages are in vpdt.web.work_urls.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from vpdt.web import forms
from vpdt.web.views import (
    account,
    administration,
    files,
    mfa,
    motcua_public,  # --- motcua
    picker,
    registers,
    reports,
    sso,
    webhooks,
)
from vpdt.web.views import archive as archive_keep  # --- archive keep
from vpdt.web.views import dossiers as archive_dossiers  # --- archive filing
from vpdt.web.views import fileplan as file_plan_views  # --- archive fileplan
from vpdt.web.views import motcua as motcua_views  # --- motcua
from vpdt.web.views import motcua_stats as motcua_stats_views  # --- motcua2
from vpdt.web.views import operations as ops_views  # --- ops
from vpdt.web.views import search as search_views  # --- ftext
from vpdt.web.views import system_accounts as api_system_accounts  # --- api
from vpdt.web.views import transfer as archive_transfer

app_name = "web"

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                    redirect_authenticated_user=True), name="login"),
    # Single sign-on (OpenID Connect), answering 404 unless VPDT_OIDC_ISSUER is set.
    path("dang-nhap/mot-cua/", sso.Start.as_view(), name="sso_start"),
    path("dang-nhap/mot-cua/xac-thuc/", sso.Callback.as_view(), name="sso_callback"),
    # The second factor: the code after the password, and enrolment (vpdt.directory.mfa).
    path("xac-thuc-hai-buoc/", mfa.verify, name="mfa_verify"),
    path("xac-thuc-hai-buoc/dang-ky/", mfa.enrol, name="mfa_enrol"),
    path("xac-thuc-hai-buoc/ma-khoi-phuc/", mfa.recovery_renew, name="mfa_recovery"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tai-khoan/", account.account, name="account"),
    path("tai-khoan/can-bo/", account.people_logins, name="people_logins"),
    path("tai-khoan/doi-mat-khau/", auth_views.PasswordChangeView.as_view(
        template_name="web/password_change.html", form_class=forms.PasswordChangeForm,
        success_url=reverse_lazy("web:password_changed")), name="password_change"),
    path("tai-khoan/doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(
        template_name="web/password_change_done.html"), name="password_changed"),
    path("quen-mat-khau/", auth_views.PasswordResetView.as_view(
        template_name="web/password_reset.html", form_class=forms.PasswordResetForm,
        email_template_name="web/password_reset_email.txt", subject_template_name="web/password_reset_subject.txt",
        success_url=reverse_lazy("web:password_reset_sent")), name="password_reset"),
    path("quen-mat-khau/da-gui/", auth_views.PasswordResetDoneView.as_view(
        template_name="web/password_reset_sent.html"), name="password_reset_sent"),
    path("dat-lai-mat-khau/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="web/password_reset_confirm.html", form_class=forms.SetPasswordForm,
        success_url=reverse_lazy("web:password_reset_done")), name="password_reset_confirm"),
    path("dat-lai-mat-khau/xong/", auth_views.PasswordResetCompleteView.as_view(
        template_name="web/password_reset_done.html"), name="password_reset_done"),
    path("phien/con-lai/", account.session_status, name="session_status"),
    path("phien/giu/", account.session_keepalive, name="session_keepalive"),
    path("tep/<id:pk>/", files.attachment_download, name="attachment"),
    # Administration (issue 12): the agency admin's and the platform admin's pages.
    path("quan-tri/", administration.home, name="admin_home"),
    path("quan-tri/can-bo/", administration.people, name="admin_people"),
    path("quan-tri/can-bo/them/", administration.add_person, name="admin_person_new"),
    path("quan-tri/can-bo/<id:pk>/", administration.person, name="admin_person"),
    path("quan-tri/yeu-cau/", administration.requests_page, name="admin_requests"),
    path("quan-tri/quy-trinh/", administration.approval_chains, name="admin_chains"),
    path("quan-tri/an-ninh/", administration.security, name="admin_security"),
    path("quan-tri/co-quan/", administration.agency_page, name="admin_agency"),
    path("quan-tri/khoa-ky/", administration.signing_keys, name="admin_keys"),
    path("quan-tri/truc-lien-thong/", administration.hub_connections, name="admin_hubs"),
    path("quan-tri/van-hanh/", ops_views.operations_page, name="admin_operations"),  # --- ops
    # --- api: the agency admin's system accounts and their scoped API tokens (issue 18)
    path("quan-tri/tai-khoan-he-thong/", api_system_accounts.system_accounts_page, name="admin_system_accounts"),
    # --- hooks: the agency admin's webhooks (issue 18)
    path("quan-tri/webhook/", webhooks.subscriptions, name="admin_webhooks"),
    path("quan-tri/webhook/<id:pk>/", webhooks.subscription, name="admin_webhook"),
    # Reports (issue 14): the home page's charts, the "why" view, the period report.
    path("bao-cao/", RedirectView.as_view(pattern_name="web:report_why", query_string=True), name="reports"),
    path("bao-cao/bieu-do/", reports.chart_data, name="report_charts"),
    path("bao-cao/vi-sao/", reports.why, name="report_why"),
    path("bao-cao/vi-sao/tai/<str:fmt>/", reports.why_export, name="report_why_export"),
    path("bao-cao/trien-khai/", reports.period_page, name="report_period"),
    path("bao-cao/trien-khai/tai/<str:fmt>/", reports.period_download, name="report_period_download"),
    path("bao-cao/trien-khai/bo-nguoi-nhan/", reports.period_recipient_remove, name="report_recipient_remove"),
    # --- ftext: the search page, one box over the metadata and the text of files (issue 15)
    path("tim-kiem/", search_views.search, name="search"),
    # --- motcua2: the one-stop shop's statistics
    path("mot-cua/thong-ke/", motcua_stats_views.page, name="motcua_stats"),
    path("mot-cua/thong-ke/tai/<str:fmt>/", motcua_stats_views.export, name="motcua_stats_export"),
    # The registers of Phụ lục IV (issue 14): books as PDF/XLSX, closing at year end.
    path("so-van-ban/", registers.register_list, name="registers"),
    path("so-van-ban/<id:pk>/khoa-so/", registers.register_close, name="register_close"),
    path("so-van-ban/<id:pk>/<slug:book>/<slug:fmt>/", registers.register_download, name="register_download"),
    # Recipients (issue 13): the picker's search, favourites, recipient groups.
    path("noi-nhan/tim/", picker.agencies, name="picker_agencies"),
    path("noi-nhan/thuong-gui/", picker.favourite, name="picker_favourite"),
    path("quan-tri/nhom-noi-nhan/", picker.groups_page, name="admin_groups"),
    # --- archive keep: the archive's own view, reader requests, disposal (issue 19).
    path("luu-tru/", archive_keep.holdings, name="archive_keep"),
    path("luu-tru/doc/", archive_keep.reading_page, name="archive_reading"),
    path("luu-tru/doc/ho-so/<id:pk>/de-nghi/", archive_keep.reading_request, name="archive_reading_request"),
    path("luu-tru/doc/<id:pk>/", archive_keep.reading_dossier, name="archive_read"),
    path("luu-tru/doc/<id:pk>/quyet-dinh/", archive_keep.reading_decide, name="archive_reading_decide"),
    path("luu-tru/doc/<id:pk>/van-ban/<id:doc>/", archive_keep.reading_document, name="archive_read_document"),
    path("luu-tru/doc/<id:pk>/tep/<id:attachment>/", archive_keep.reading_file, name="archive_read_file"),
    path("luu-tru/huy/", archive_keep.disposals, name="archive_disposals"),
    path("luu-tru/huy/<id:pk>/", archive_keep.disposal_page, name="archive_disposal"),
    path("luu-tru/huy/<id:pk>/bien-ban/", archive_keep.disposal_record, name="archive_disposal_record"),
    # --- archive fileplan: the file plan (danh mục hồ sơ) of issue 19
    path("ho-so/danh-muc/", file_plan_views.plan_list, name="file_plans"),
    path("ho-so/danh-muc/<int:year>/", file_plan_views.plan_detail, name="file_plan"),
    path("ho-so/danh-muc/<int:year>/tai/xlsx/", file_plan_views.plan_download, name="file_plan_download"),
    path("ho-so/danh-muc/<int:year>/them/", file_plan_views.entry_new, name="file_plan_entry_new"),
    path("ho-so/danh-muc/<int:year>/dong/<id:pk>/", file_plan_views.entry_edit, name="file_plan_entry"),
    path("ho-so/danh-muc/<int:year>/dong/<id:pk>/<slug:action>/", file_plan_views.entry_change,
         name="file_plan_entry_change"),
    path("ho-so/danh-muc/<int:year>/<slug:action>/", file_plan_views.plan_action, name="file_plan_action"),
    # --- motcua: the one-stop shop (issue 16): the officers' pages, then the citizens' (no sign-in)
    path("mot-cua/", motcua_views.home, name="motcua_home"),
    path("mot-cua/tiep-nhan/", motcua_views.intake_choose, name="motcua_intake_choose"),
    path("mot-cua/tiep-nhan/<id:pk>/", motcua_views.intake, name="motcua_intake"),
    path("mot-cua/ho-so/<id:pk>/", motcua_views.dossier_page, name="motcua_dossier"),
    path("mot-cua/ho-so/<id:pk>/thao-tac/<slug:action>/", motcua_views.dossier_action, name="motcua_action"),
    path("mot-cua/ho-so/<id:pk>/tep/<id:file_pk>/", motcua_views.dossier_file, name="motcua_file"),
    path("mot-cua/ho-so/<id:pk>/phieu/<slug:kind>/", motcua_views.slip, name="motcua_slip"),
    path("mot-cua/so-theo-doi/", motcua_views.register, name="motcua_register"),
    path("mot-cua/thu-tuc/", motcua_views.catalogue_list, name="motcua_catalogue"),
    path("mot-cua/thu-tuc/nhap/", motcua_views.catalogue_import, name="motcua_catalogue_import"),
    path("mot-cua/thu-tuc/moi/", motcua_views.procedure_edit, name="motcua_procedure_new"),
    path("mot-cua/thu-tuc/<id:pk>/", motcua_views.procedure_edit, name="motcua_procedure"),
    path("mot-cua/thu-tuc/<id:pk>/ap-dung/", motcua_views.procedure_activate, name="motcua_activate"),
    path("tra-cuu/", motcua_public.lookup_page, name="motcua_lookup"),
    path("tra-cuu/ket-qua/", motcua_public.result_download, name="motcua_result"),
    path("dich-vu-cong/", motcua_public.services_page, name="motcua_services"),
    path("dich-vu-cong/<str:agency_code>/<str:procedure_code>/", motcua_public.submit_page, name="motcua_submit"),
    # --- archive filing: dossiers as work happens (issue 19)
    path("ho-so/", archive_dossiers.dossier_list, name="dossiers"),
    path("ho-so/lap/", archive_dossiers.dossier_create, name="dossier_new"),
    path("ho-so/luu/", archive_dossiers.dossier_file, name="dossier_file"),
    path("ho-so/<id:pk>/", archive_dossiers.dossier_detail, name="dossier"),
    path("ho-so/<id:pk>/ket-thuc/", archive_dossiers.dossier_close, name="dossier_close"),
    path("ho-so/<id:pk>/xuat/", archive_dossiers.dossier_export, name="dossier_export"),
    path("ho-so/<id:pk>/bo-van-ban/", archive_dossiers.dossier_remove, name="dossier_remove"),
    path("ho-so/<id:pk>/sap-xep/", archive_dossiers.dossier_move, name="dossier_move"),
    # --- archive transfer: nộp lưu hồ sơ (issue 19)
    path("ho-so/nop-luu/", archive_transfer.transfer_list, name="transfers"),
    path("ho-so/nop-luu/lap/", archive_transfer.transfer_prepare, name="transfer_prepare"),
    path("ho-so/nop-luu/<id:pk>/", archive_transfer.transfer_detail, name="transfer_detail"),
    path("ho-so/nop-luu/<id:pk>/them/", archive_transfer.transfer_add, name="transfer_add"),
    path("ho-so/nop-luu/<id:pk>/bo/<id:dossier>/", archive_transfer.transfer_remove, name="transfer_remove"),
    path("ho-so/nop-luu/<id:pk>/gui/", archive_transfer.transfer_submit, name="transfer_submit"),
    path("ho-so/nop-luu/<id:pk>/muc/<id:item>/nhan/", archive_transfer.transfer_item_accept,
         name="transfer_item_accept"),
    path("ho-so/nop-luu/<id:pk>/muc/<id:item>/tra-lai/", archive_transfer.transfer_item_return,
         name="transfer_item_return"),
    path("ho-so/nop-luu/<id:pk>/tiep-nhan/", archive_transfer.transfer_accept, name="transfer_accept"),
    path("ho-so/nop-luu/<id:pk>/tai/", archive_transfer.transfer_download, name="transfer_download"),
]
