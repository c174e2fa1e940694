"""App config for annotation: ends a person's leases when they log out."""

from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from .queueing.services import on_user_logged_out

        # Infrastructure, not business logic: logging out is the moment a person stops holding items.
        user_logged_out.connect(on_user_logged_out, dispatch_uid="annotation.leases_release_on_logout")
