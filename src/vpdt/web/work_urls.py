"""Addresses of the daily work's pages (queues, lists, a document's page and actions, drafting).

They keep the URL namespace `workflow` and their Vietnamese paths, so bookmarks,
settings.LOGIN_REDIRECT_URL and the benches that reverse them stay valid. Mounted by
vpdt.urls only when the workflow app is installed: these views call its services.
"""

from django.urls import path

from vpdt.web.views import (
    actions,
    delegation,
    document,
    drafting,
    files,
    incoming,
    lists,
    notifications,
    outgoing,
    paper,
    quarantine,
    quick,
)

app_name = "workflow"

urlpatterns = [
    path("", lists.queue, name="home"),
    path("viec/<str:name>/", lists.queue, name="queue"),
    path("van-ban-den/", lists.documents, {"direction": "incoming"}, name="incoming"),
    path("van-ban-di/", lists.documents, {"direction": "outgoing"}, name="outgoing"),
    path("van-ban-den/tiep-nhan/", incoming.receive, name="receive"),
    path("van-ban-di/du-thao/", outgoing.draft_new, name="draft"),
    path("van-ban/<id:pk>/", document.document, name="document"),
    path("van-ban/<id:pk>/phan-cong/", incoming.assign_form, name="assign"),
    path("van-ban/<id:pk>/ky-duyet/", outgoing.sign, name="sign"),
    path("van-ban/<id:pk>/phong-bi/", paper.envelopes, name="envelopes"),
    path("van-ban/<id:pk>/da-gui-giay/", paper.paper_sent, name="paper_sent"),
    path("van-ban-di/du-thao/mau/", drafting.template_for_new_draft, name="new_draft_template"),
    path("van-ban/<id:pk>/mau-du-thao/", drafting.template_for_document, name="draft_template"),
    path("phien-ban/<id:pk>/ban-pdf/", drafting.rendition_file, name="rendition"),
    path("phien-ban/<id:pk>/ban-pdf/tinh-trang/", drafting.rendition_state, name="rendition_state"),
    path("phien-ban/<id:pk>/ban-pdf/chuyen-doi-lai/", drafting.rendition_retry, name="rendition_retry"),
    path("van-ban/<id:pk>/tra-loi/", quick.reply, name="reply"),
    path("van-ban/<id:pk>/chua-doc/", quick.mark_unread, name="mark_unread"),
    path("van-ban/<id:pk>/tai-len/<slug:kind>/", quick.upload, name="upload"),
    path("van-ban/<id:pk>/<slug:action>/", actions.act, name="act"),
    path("phien-ban/<id:pk>/", files.version_file, name="version"),
    path("thong-bao/", notifications.notification_list, name="notifications"),
    path("thong-bao/dem/", notifications.notification_count, name="notification_count"),
    path("thong-bao/<id:pk>/", notifications.notification_open, name="notification"),
    path("uy-quyen/", delegation.delegations, name="delegations"),
    path("lien-thong/cach-ly/", quarantine.quarantined, name="quarantine"),
    path("thao-tac-nhieu/", quick.bulk, name="bulk"),
    path("phan-cong-nhieu/", quick.bulk_assign, name="bulk_assign"),
    path("bo-loc/luu/", quick.filter_save, name="filter_save"),
    path("bo-loc/<id:pk>/xoa/", quick.filter_delete, name="filter_delete"),
    path("y-kien-chi-dao-mau/", quick.direction_texts, name="direction_texts"),
]
