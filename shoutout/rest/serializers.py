"""Request and response shapes of the REST API.

Requests are validated here for their shape; the limits (TTL, payload size and
depth, update ids) are enforced by :mod:`shoutout.operations`, so they are the
same on every path.
"""

from datetime import datetime, timezone

from rest_framework import serializers

from shoutout.ids import MAX_UPDATE_ID
from shoutout.models import Security


def _timestamp(seconds):
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _names(help_text):
    return serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=150), required=False, max_length=1000, help_text=help_text
    )


class GrantsSerializer(serializers.Serializer):
    readers = _names("Usernames of users who may read.")
    writers = _names("Usernames of users who may read and write.")
    reader_groups = _names("Names of groups whose members may read.")
    writer_groups = _names("Names of groups whose members may read and write.")


class CreateSerializer(GrantsSerializer):
    ttl = serializers.IntegerField(
        required=False, min_value=1, help_text="Seconds the object lives after its last write, up to SHOUTOUT['MAX_TTL']."
    )
    security = serializers.ChoiceField(choices=Security.choices, required=False)
    data = serializers.JSONField(required=False, allow_null=True, help_text="Initial state; null when omitted.")


class ConfigureSerializer(GrantsSerializer):
    ttl = serializers.IntegerField(required=False, min_value=1, help_text="Up to SHOUTOUT['MAX_TTL'] seconds.")
    security = serializers.ChoiceField(choices=Security.choices, required=False)


class TokenRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["read", "write"])
    expires_in = serializers.IntegerField(
        required=False, min_value=1, help_text="Seconds the token is valid; without it, as long as the object lives."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as X-ShoutOut-Token (REST) or 'token' (WebSocket frames).")
    scope = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class RevokedSerializer(serializers.Serializer):
    token_generation = serializers.IntegerField(help_text="Tokens minted before this generation are refused.")


class StateUpdateSerializer(serializers.Serializer):
    data = serializers.JSONField(allow_null=True, help_text="The new state; replaces the old one whole.")
    update_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_UPDATE_ID,
        help_text="Must be greater than the current update id; assigned by the server when omitted.",
    )


class MessageSerializer(serializers.Serializer):
    payload = serializers.JSONField(allow_null=True, help_text="Any JSON value.")
    update_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_UPDATE_ID)


class WriteResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    update_id = serializers.IntegerField(help_text="The update id the write was stored under.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, listed in docs/errors.md.")
    message = serializers.CharField()


class StateObjectSerializer(serializers.Serializer):
    """A live object with its current state; built from ``(row, snapshot)``."""

    id = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    security = serializers.ChoiceField(choices=Security.choices)
    ttl = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_write = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    update_id = serializers.IntegerField()
    data = serializers.JSONField(allow_null=True)
    readers = serializers.ListField(child=serializers.CharField())
    writers = serializers.ListField(child=serializers.CharField())
    reader_groups = serializers.ListField(child=serializers.CharField())
    writer_groups = serializers.ListField(child=serializers.CharField())

    @staticmethod
    def represent(row, snapshot) -> dict:
        from shoutout.grants import describe_grants

        owner = row.owner.get_username() if row.owner_id is not None else None
        return StateObjectSerializer(
            {
                **describe_grants(row),
                "id": row.pk,
                "owner": owner,
                "security": row.security,
                "ttl": snapshot.ttl,
                "created_at": row.created_at,
                "last_write": _timestamp(snapshot.last_write),
                "expires_at": _timestamp(snapshot.expires_at),
                "update_id": snapshot.update_id,
                "data": snapshot.data,
            }
        ).data


class CreatedObjectSerializer(StateObjectSerializer):
    """A new object, with the capability tokens minted for it."""

    read_token = serializers.CharField(help_text="Grants reading; share it with watchers.")
    write_token = serializers.CharField(help_text="Grants updating and publishing; keep it with senders.")
