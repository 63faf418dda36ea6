"""REST endpoints that mint and revoke an object's capability tokens."""

from datetime import datetime, timezone

from rest_framework import status
from rest_framework.response import Response

from shoutout import grants
from shoutout.access import CONFIGURE
from shoutout.rest import serializers
from shoutout.rest.views import ERRORS, ShoutOutAPIView, document


class TokenListView(ShoutOutAPIView):
    access_action = CONFIGURE
    serializer_class = serializers.TokenRequestSerializer

    @document(
        summary="Mint a capability token for an object",
        operation_id="shoutout_tokens_create",
        request=serializers.TokenRequestSerializer,
        responses={201: serializers.TokenSerializer, **ERRORS},
    )
    def post(self, request, object_id):
        row = self.get_object()
        fields = self.validated(serializers.TokenRequestSerializer)
        token, expires_at = grants.mint_token(row.pk, fields["scope"], expires_in=fields.get("expires_in"))
        expiry = None if expires_at is None else datetime.fromtimestamp(expires_at, tz=timezone.utc)
        body = serializers.TokenSerializer({"token": token, "scope": fields["scope"], "expires_at": expiry}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeView(ShoutOutAPIView):
    access_action = CONFIGURE
    serializer_class = serializers.RevokedSerializer

    @document(
        summary="Revoke every capability token of an object",
        operation_id="shoutout_tokens_revoke",
        request=None,
        responses={200: serializers.RevokedSerializer, **ERRORS},
    )
    def post(self, request, object_id):
        row = self.get_object()
        generation = grants.revoke_tokens(row.pk)
        return Response({"token_generation": generation})
