"""Addresses of the frame of the pages: signing in and out, attachments (namespace `web`).

The daily work's pages are in vpdt.web.work_urls.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from vpdt.web.views import files, mfa, sso

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
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tep/<int:pk>/", files.attachment_download, name="attachment"),
]
