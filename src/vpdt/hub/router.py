"""Keeps the hub in its own database: the hub is a separate deployable, even when embedded."""

HUB_ALIAS = "hub"


class HubRouter:
    """app_label "hub" lives on the "hub" alias; nothing else migrates there, the hub nowhere else."""

    def db_for_read(self, model, **hints):
        return HUB_ALIAS if model._meta.app_label == "hub" else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        hub1 = obj1._meta.app_label == "hub"
        hub2 = obj2._meta.app_label == "hub"
        if hub1 or hub2:
            return hub1 and hub2
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "hub":
            return db == HUB_ALIAS
        if db == HUB_ALIAS:
            return False
        return None
