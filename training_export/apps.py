"""App config for training_export."""

from django.apps import AppConfig


class TrainingExportConfig(AppConfig):
    name = "training_export"
    default_auto_field = "django.db.models.BigAutoField"
