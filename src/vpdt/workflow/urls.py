"""Pages of the daily work. Included before vpdt.web.urls, so these paths win where they overlap."""

from django.urls import path

from vpdt.workflow import views

app_name = "workflow"

urlpatterns = [
    path("", views.queue, name="home"),
    path("viec/<str:name>/", views.queue, name="queue"),
    path("van-ban-den/", views.documents, {"direction": "incoming"}, name="incoming"),
    path("van-ban-di/", views.documents, {"direction": "outgoing"}, name="outgoing"),
    path("van-ban-den/tiep-nhan/", views.receive, name="receive"),
    path("van-ban-di/du-thao/", views.draft_new, name="draft"),
    path("van-ban/<int:pk>/", views.document, name="document"),
    path("van-ban/<int:pk>/phan-cong/", views.assign_form, name="assign"),
    path("van-ban/<int:pk>/<slug:action>/", views.act, name="act"),
    path("phien-ban/<int:pk>/", views.version_file, name="version"),
    path("thong-bao/", views.notification_list, name="notifications"),
    path("thong-bao/dem/", views.notification_count, name="notification_count"),
    path("thong-bao/<int:pk>/", views.notification_open, name="notification"),
    path("uy-quyen/", views.delegations, name="delegations"),
]
