from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WorkflowConfig(AppConfig):
    name = "vpdt.workflow"
    label = "workflow"
    verbose_name = "Xử lý văn bản, trình duyệt, nhắc hạn"

    def ready(self) -> None:
        # Periodic jobs (reminders, leaders' digest) join the worker.
        from vpdt.workflow import checks, jobs  # noqa: F401
        from vpdt.workflow.models import OfficialDay

        # Deadlines read the official days through a cache: a change in this process
        # counts at once (other processes see it within holidays.OFFICIAL_TTL_SECONDS).
        post_save.connect(_official_days_changed, sender=OfficialDay, dispatch_uid="vpdt.workflow.official_days")
        post_delete.connect(_official_days_changed, sender=OfficialDay, dispatch_uid="vpdt.workflow.official_days_d")
        # A person named as the signer of an approval chain is protected (vpdt.directory.oversight).
        from vpdt.directory import oversight

        oversight.register_protection(_named_signer)
        # The opinions are searched with the document (issue 15): whoever sees it reads them.
        from vpdt.search import apps as search_apps
        from vpdt.search import services as search_services

        search_services.add_word_source(_opinion_words)
        post_save.connect(search_apps.part_changed, sender="workflow.Opinion", dispatch_uid="vpdt.workflow.opinion_s")
        post_delete.connect(search_apps.part_changed, sender="workflow.Opinion", dispatch_uid="vpdt.workflow.opinion_d")
        # The receiving clerks hear of arrivals, recalls, updates and replacements (workflow.arrivals).
        from django.apps import apps

        if apps.is_installed("vpdt.exchange"):
            from vpdt.exchange.signals import package_handled
            from vpdt.workflow import arrivals

            package_handled.connect(arrivals.on_package_handled, dispatch_uid="vpdt.workflow.arrivals")


def _named_signer(user) -> str | None:
    from django.utils.translation import gettext as _

    from vpdt.workflow.models import ApprovalStep

    if ApprovalStep.objects.filter(user=user, is_signer=True, chain__active=True).exists():
        return _("người ký trong quy trình duyệt")
    return None


def _opinion_words(ids: list[int], using: str) -> dict[int, list[str]]:
    from vpdt.workflow.models import Opinion

    out: dict[int, list[str]] = {}
    for pk, text in Opinion.objects.using(using).filter(document_id__in=ids).order_by("pk").values_list(
            "document_id", "text"):
        out.setdefault(pk, []).append(text)
    return out


def _official_days_changed(**kwargs) -> None:
    from vpdt.workflow import holidays

    holidays.clear_cache()
