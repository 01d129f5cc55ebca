from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vpdt.web"
    label = "web"
    verbose_name = "Giao diện web"

    def ready(self):
        # --- mfa: the admin site checks the second factor (django-otp's documented way to
        # swap the class of the default site, so every app's admin.register stays as it is).
        from django.contrib import admin

        from vpdt.web.admin_site import SecondFactorAdminSite

        admin.site.__class__ = SecondFactorAdminSite
