"""App config for inference."""

from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imports announce stored items through a hook list rather than importing inference.
        from annotation.importing.pipeline import POST_STORE_HOOKS

        from .tasks import after_import

        if after_import not in POST_STORE_HOOKS:
            POST_STORE_HOOKS.append(after_import)
        from review.services.cases import CASE_CREATED_HOOKS

        from .tasks import after_case_created

        if after_case_created not in CASE_CREATED_HOOKS:
            CASE_CREATED_HOOKS.append(after_case_created)
