"""App config for workforce."""

from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "workforce"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lets annotated generics (ModelAdmin[Vendor], ListAPIView[Item]) work at run time, as mypy
        # sees them. workforce is first in INSTALLED_APPS, so this runs before admin autodiscovery.
        import django_stubs_ext
        from django.db.models.signals import post_delete, post_save

        from .authentication import token_cache
        from .models import ApiToken, User, Vendor

        # Cache invalidation, not business logic: any change to who may authenticate empties the
        # process's token cache (workforce.authentication).
        for model in (ApiToken, User, Vendor):
            post_save.connect(token_cache.clear, sender=model, dispatch_uid=f"token-cache-{model.__name__}")
            post_delete.connect(token_cache.clear, sender=model, dispatch_uid=f"token-cache-del-{model.__name__}")
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
