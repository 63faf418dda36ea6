from django.apps import AppConfig


class ShoutOutConfig(AppConfig):
    name = "shoutout"
    verbose_name = "ShoutOut"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from shoutout import checks  # noqa: F401  (registers the system checks)
