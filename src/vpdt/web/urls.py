"""Addresses of the frame of the pages: signing in and out, attachments (namespace `web`).

The daily work's pages are in vpdt.web.work_urls.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from vpdt.web.views import files

app_name = "web"

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                    redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tep/<id:pk>/", files.attachment_download, name="attachment"),
]
