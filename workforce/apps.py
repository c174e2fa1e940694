"""App config for workforce."""

from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "workforce"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lets annotated generics (ModelAdmin[Vendor], ListAPIView[Item]) work at run time, as mypy
        # sees them. workforce is first in INSTALLED_APPS, so this runs before admin autodiscovery.
        import django_stubs_ext
        from rest_framework import fields, generics, serializers

        django_stubs_ext.monkeypatch(
            extra_classes=[
                generics.GenericAPIView,
                generics.ListAPIView,
                generics.ListCreateAPIView,
                generics.RetrieveAPIView,
                generics.RetrieveDestroyAPIView,
                generics.RetrieveUpdateAPIView,
                serializers.Serializer,
                serializers.ModelSerializer,
                fields.Field,
            ]
        )
