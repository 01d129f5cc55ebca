from django.apps import AppConfig


class MotcuaConfig(AppConfig):
    name = "vpdt.motcua"
    label = "motcua"
    verbose_name = "Một cửa"

    def ready(self) -> None:
        # Deadlines and joint processing join the worker; the joint carriage
        # listens to what the interconnection delivers (motcua2: jobs_more.py, joint.py).
        from vpdt.motcua import jobs_more, joint  # noqa: F401
