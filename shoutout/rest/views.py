"""REST endpoints for state objects (reference: ``docs/rest-api.md``)."""

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
    schema,
)
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from shoutout import grants, operations
from shoutout.conf import shoutout_settings
from shoutout.grants import GRANT_FIELDS
from shoutout import access
from shoutout.errors import InvalidPayload, ShoutOutError
from shoutout.ids import is_valid_object_id
from shoutout.models import StateObject
from shoutout.rest import serializers
from shoutout.rest.exceptions import exception_handler
from shoutout.rest.parsers import LimitedJSONParser
from shoutout.rest.permissions import CreateRateThrottle, StateObjectPermission


def default_authentication_classes():
    classes = [SessionAuthentication]
    from django.apps import apps

    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authentication import TokenAuthentication

        classes.append(TokenAuthentication)
    return classes


TOKEN_PARAMETER = OpenApiParameter(
    "X-ShoutOut-Token",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A capability token for this object, for clients without a user who may do the request.",
)


def document(**kwargs):
    """``extend_schema`` that builds on drf-spectacular's ``AutoSchema``.

    Without this, method annotations extend the project's
    ``DEFAULT_SCHEMA_CLASS``, and projects that never configured
    drf-spectacular would get a broken schema. Operations on one object
    document the ``X-ShoutOut-Token`` header, and each operation's
    description is its summary rather than the view's docstring.
    """
    kwargs.setdefault("description", kwargs.get("summary", ""))

    def decorate(method):
        method.schema = AutoSchema
        if "object_id" in method.__code__.co_varnames:
            kwargs.setdefault("parameters", [TOKEN_PARAMETER])
        return extend_schema(**kwargs)(method)

    return decorate


ERROR = OpenApiResponse(serializers.ErrorSerializer, description="Limit reached")
ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="Invalid request"),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Readable but not writable"),
    404: OpenApiResponse(serializers.ErrorSerializer, description="No such live object visible to you"),
    413: OpenApiResponse(serializers.ErrorSerializer, description="Payload over SHOUTOUT['MAX_PAYLOAD_BYTES']"),
}


class PolicyBrowsableAPIRenderer(BrowsableAPIRenderer):
    """Browsable API that shows a form only when the access policy allows the method.

    DRF's renderer expects the serializer instance to be the model row and a
    failed permission check to raise ``APIException``. ShoutOut serializes
    dicts built from ``(row, snapshot)`` and raises its own errors, so this
    check looks the row up and shows no form when a ShoutOut error is raised.
    """

    def show_form_for_method(self, view, method, request, obj):
        if obj is not None and not isinstance(obj, StateObject):
            obj = view.get_queryset().filter(pk=obj.get("id")).first()
        try:
            return super().show_form_for_method(view, method, request, obj)
        except ShoutOutError:
            return False


class ShoutOutAPIView(GenericAPIView):
    """Common configuration: ShoutOut's parser, permission, and error shape."""

    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer, PolicyBrowsableAPIRenderer]
    permission_classes = [StateObjectPermission]
    queryset = StateObject.objects.select_related("owner").prefetch_related(*GRANT_FIELDS)
    lookup_url_kwarg = "object_id"
    schema = AutoSchema()

    def get_authenticators(self):
        return [auth() for auth in default_authentication_classes()]

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        """Reject oversized bodies before anything reads them (Django would raise on them)."""
        LimitedJSONParser.check_declared_length(request)
        super().initial(request, *args, **kwargs)

    def get_object(self):
        """Return the row, checked against the policy; malformed and unknown ids are 404."""
        object_id = self.kwargs["object_id"]
        try:
            if not is_valid_object_id(object_id):
                raise Http404
            return super().get_object()
        except Http404:
            raise access.not_found(object_id) from None

    def validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ObjectListView(ShoutOutAPIView):
    creates_objects = True
    serializer_class = serializers.StateObjectSerializer

    def get_throttles(self):
        return [CreateRateThrottle()] if self.request.method == "POST" else []

    def throttled(self, request, wait):
        """Raise ``Throttled`` (429) with a message naming the rate and its setting; DRF adds the wait."""
        raise Throttled(
            wait,
            detail=f"Object creations are limited to {shoutout_settings.CREATE_RATE} per user "
            "(per client address when anonymous), setting SHOUTOUT['CREATE_RATE'].",
        )

    @document(
        summary="List your live state objects",
        operation_id="shoutout_objects_list",
        responses={200: serializers.StateObjectSerializer(many=True)},
    )
    def get(self, request):
        if not request.user.is_authenticated:
            return Response([])
        rows = self.get_queryset().filter(owner=request.user)
        live = operations.list_live(rows)
        return Response([serializers.StateObjectSerializer.represent(row, snap) for row, snap in live])

    @document(
        summary="Create a state object",
        operation_id="shoutout_objects_create",
        request=serializers.CreateSerializer,
        responses={201: serializers.CreatedObjectSerializer, 429: ERROR, **ERRORS},
    )
    def post(self, request):
        fields = self.validated(serializers.CreateSerializer)
        row, snapshot = operations.create(
            actor=request.user,
            data=fields.get("data"),
            ttl=fields.get("ttl"),
            security=fields.get("security"),
        )
        chosen = {name: fields[name] for name in GRANT_FIELDS if name in fields}
        if chosen:
            try:
                grants.set_grants(row.pk, **chosen)
            except InvalidPayload:
                # An unknown user or group name rejects the whole request, so
                # the object just created must not stay behind.
                operations.delete(row.pk)
                raise
        row = self.get_queryset().get(pk=row.pk)
        body = serializers.StateObjectSerializer.represent(row, snapshot)
        body.update(grants.mint_initial_tokens(row))
        return Response(body, status=status.HTTP_201_CREATED)


class ObjectDetailView(ShoutOutAPIView):
    serializer_class = serializers.StateObjectSerializer

    def live(self, row):
        """Return the response body for ``row``, a row loaded through ``get_queryset()``."""
        snapshot = operations.live_snapshot(row.pk)
        return Response(serializers.StateObjectSerializer.represent(row, snapshot))

    @document(
        summary="Read an object's current state",
        operation_id="shoutout_objects_retrieve",
        responses={200: serializers.StateObjectSerializer, **ERRORS},
    )
    def get(self, request, object_id):
        return self.live(self.get_object())

    @document(
        summary="Change an object's TTL, security, readers or writers",
        operation_id="shoutout_objects_partial_update",
        request=serializers.ConfigureSerializer,
        responses={200: serializers.StateObjectSerializer, **ERRORS},
    )
    def patch(self, request, object_id):
        row = self.get_object()
        fields = self.validated(serializers.ConfigureSerializer)
        # Check the TTL before the grants change, so a rejected request changes nothing.
        if "ttl" in fields:
            operations.clean_ttl(fields["ttl"])
        chosen = {name: fields[name] for name in GRANT_FIELDS if name in fields}
        if chosen:
            grants.set_grants(row.pk, **chosen)
        operations.configure(row.pk, ttl=fields.get("ttl"), security=fields.get("security"))
        # Reload: the grants and settings changed after get_object() read them.
        return self.live(self.get_queryset().get(pk=row.pk))

    @document(summary="Delete an object", operation_id="shoutout_objects_destroy", responses={204: None, **ERRORS})
    def delete(self, request, object_id):
        row = self.get_object()
        operations.delete(row.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WriteView(ShoutOutAPIView):
    """Base of the state and message endpoints; ``kind`` selects which."""

    kind = None
    value_field = None

    def post(self, request, object_id):
        row = self.get_object()
        fields = self.validated(self.serializer_class)
        outcome = operations.write(
            row.pk, self.kind, fields[self.value_field], update_id=fields.get("update_id")
        )
        return Response({"id": row.pk, "update_id": outcome.update_id})


STALE = OpenApiResponse(serializers.ErrorSerializer, description="Stale: update_id not newer; current_update_id given")


class StateView(WriteView):
    kind = "state"
    value_field = "data"
    serializer_class = serializers.StateUpdateSerializer

    @document(
        summary="Replace an object's state",
        operation_id="shoutout_objects_state_create",
        request=serializers.StateUpdateSerializer,
        responses={200: serializers.WriteResultSerializer, 409: STALE, **ERRORS},
    )
    def post(self, request, object_id):
        return super().post(request, object_id)


class MessageView(WriteView):
    kind = "message"
    value_field = "payload"
    serializer_class = serializers.MessageSerializer

    @document(
        summary="Publish a message to an object's receivers",
        operation_id="shoutout_objects_messages_create",
        request=serializers.MessageSerializer,
        responses={200: serializers.WriteResultSerializer, 409: STALE, **ERRORS},
    )
    def post(self, request, object_id):
        return super().post(request, object_id)


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@renderer_classes([JSONRenderer])
@permission_classes([AllowAny])
@authentication_classes([])
@schema(None)
def not_found(request):
    """Return the API's JSON 404 body for any unknown path under the API prefix."""
    return Response(
        {"code": "not_found", "message": f"No API endpoint or live state object matches {request.path!r}."},
        status=status.HTTP_404_NOT_FOUND,
    )
