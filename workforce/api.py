"""REST endpoints for people: the current user, vendors, users and API tokens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import Actor, actor_for, require_role, users_visible, vendors_visible
from .apiviews import ActorScopedMixin
from .models import ApiToken, Role, User, Vendor
from .services import ALL_SCOPES, token_create, token_revoke, vendor_create
from .throttles import TokenCreateThrottle


class VendorOut(serializers.ModelSerializer[Vendor]):
    class Meta:
        model = Vendor
        fields = ["id", "name", "country", "clearance", "rate_per_task", "rate_per_hour", "currency", "active"]


class UserOut(serializers.ModelSerializer[User]):
    vendor = serializers.CharField(source="vendor.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "vendor", "is_active"]


class MeApi(APIView):
    class OutputSerializer(UserOut):
        clearance = serializers.SerializerMethodField()

        class Meta(UserOut.Meta):
            fields = [*UserOut.Meta.fields, "clearance"]

        def get_clearance(self, user: User) -> str:
            return user.vendor.clearance if user.vendor else "internal"

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        return Response(self.OutputSerializer(actor.user).data)


class VendorListApi(ActorScopedMixin[Vendor], generics.ListCreateAPIView[Vendor]):
    serializer_class = VendorOut
    model = Vendor

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        country = serializers.CharField(min_length=2, max_length=2)
        clearance = serializers.ChoiceField(choices=["restricted", "standard", "internal"])
        rate_per_task = serializers.DecimalField(
            max_digits=10, decimal_places=4, min_value=Decimal(0), default=Decimal(0)
        )
        rate_per_hour = serializers.DecimalField(
            max_digits=10, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
        )

    def scoped_queryset(self, actor: Actor) -> QuerySet[Vendor]:
        return vendors_visible(actor)

    @extend_schema(request=InputSerializer, responses={201: VendorOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vendor = vendor_create(actor=actor_for(request.user), **data.validated_data)
        return Response(VendorOut(vendor).data, status=status.HTTP_201_CREATED)


class UserListApi(ActorScopedMixin[User], generics.ListAPIView[User]):
    serializer_class = UserOut
    model = User

    def scoped_queryset(self, actor: Actor) -> QuerySet[User]:
        require_role(actor, Role.VENDOR_MANAGER)
        return users_visible(actor)


class TokenOut(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]


class TokenListApi(ActorScopedMixin[ApiToken], generics.ListCreateAPIView[ApiToken]):
    serializer_class = TokenOut
    model = ApiToken
    throttle_classes = [*generics.ListCreateAPIView.throttle_classes, TokenCreateThrottle]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(child=serializers.ChoiceField(choices=ALL_SCOPES), min_length=1)
        expires_in_days = serializers.IntegerField(min_value=1, max_value=366, required=False)

    class CreatedSerializer(TokenOut):
        token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

        class Meta(TokenOut.Meta):
            fields = [*TokenOut.Meta.fields, "token"]

    def scoped_queryset(self, actor: Actor) -> QuerySet[ApiToken]:
        return ApiToken.objects.filter(user=actor.user)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, plaintext = token_create(actor=actor_for(request.user), **data.validated_data)
        out = dict(TokenOut(token).data)
        out["token"] = plaintext
        return Response(out, status=status.HTTP_201_CREATED)


class TokenDetailApi(ActorScopedMixin[ApiToken], generics.RetrieveDestroyAPIView[ApiToken]):
    serializer_class = TokenOut
    model = ApiToken

    def scoped_queryset(self, actor: Actor) -> QuerySet[ApiToken]:
        return ApiToken.objects.filter(user=actor.user)

    def perform_destroy(self, instance: ApiToken) -> None:
        token_revoke(actor=actor_for(self.request.user), token=instance)
