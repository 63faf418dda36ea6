"""The REST API through DRF's test client, with session and token authentication."""

import json

import pytest
from django.test import override_settings
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoutout import operations
from shoutout.ids import MAX_UPDATE_ID, is_valid_object_id
from shoutout.store import get_store

pytestmark = pytest.mark.django_db

LIST_URL = reverse("shoutout-object-list")
MISSING_ID = "A" * 22


def detail_url(object_id):
    return f"{LIST_URL}{object_id}/"


def state_url(object_id):
    return f"{LIST_URL}{object_id}/state/"


def messages_url(object_id):
    return f"{LIST_URL}{object_id}/messages/"


def session_client(user):
    client = APIClient()
    assert client.login(username=user.username, password="pw")
    return client


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def as_alice(alice):
    return session_client(alice)


@pytest.fixture
def as_bob(bob):
    return session_client(bob)


@pytest.fixture
def as_staff(staff):
    return session_client(staff)


def create(client, **body):
    response = client.post(LIST_URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# Create.


def test_create_uses_defaults(as_alice):
    body = create(as_alice)
    assert is_valid_object_id(body["id"])
    assert body["owner"] == "alice"
    assert body["security"] == "private"
    assert body["ttl"] == 3600
    assert body["data"] is None
    assert body["update_id"] == 0


def test_create_with_fields(as_alice):
    body = create(as_alice, data={"progress": 0}, ttl=60, security="public")
    assert body["data"] == {"progress": 0}
    assert body["ttl"] == 60
    assert body["security"] == "public"


def test_create_with_token(alice):
    response = token_client(alice).post(LIST_URL, {"data": 1}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] == "alice"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ttl": 0}, "ttl"),
        ({"ttl": 86401}, "ttl"),
        ({"ttl": "soon"}, "ttl"),
        ({"security": "secret"}, "security"),
    ],
)
def test_create_rejects_invalid_field(as_alice, body, field):
    response = as_alice.post(LIST_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["message"]


def test_create_rejects_non_json_body(as_alice):
    response = as_alice.post(LIST_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_anonymous_create_is_rejected():
    response = APIClient().post(LIST_URL, {}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


@override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "ALLOW_ANONYMOUS_CREATE": True})
def test_anonymous_create_when_allowed():
    response = APIClient().post(LIST_URL, {"security": "public"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] is None


# Read.


def test_retrieve_returns_current_state(as_alice):
    object_id = create(as_alice, data={"step": 1})["id"]
    body = as_alice.get(detail_url(object_id)).json()
    assert body["id"] == object_id
    assert body["data"] == {"step": 1}
    assert body["update_id"] == 0


def test_list_shows_only_own_live_objects(as_alice, as_bob):
    live = create(as_alice)["id"]
    swept = create(as_alice)["id"]
    expired = create(as_alice)["id"]
    create(as_bob, security="public")
    operations.expire([swept])
    get_store().delete(expired)  # the store lost it before any sweep removed the row

    response = as_alice.get(LIST_URL)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [live]


def test_anonymous_list_is_empty(as_alice):
    create(as_alice, security="public")
    response = APIClient().get(LIST_URL)
    assert response.status_code == 200
    assert response.json() == []


def test_unknown_id_is_not_found(as_alice):
    response = as_alice.get(detail_url(MISSING_ID))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_malformed_id_is_not_found(as_alice):
    response = as_alice.get(detail_url("not an id"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_expired_object_is_not_found(as_alice):
    object_id = create(as_alice)["id"]
    get_store().delete(object_id)
    assert as_alice.get(detail_url(object_id)).status_code == 404


def test_private_object_of_other_user_looks_missing(as_alice, as_bob):
    object_id = create(as_alice)["id"]
    hidden = as_bob.get(detail_url(object_id))
    missing = as_bob.get(detail_url(MISSING_ID))
    assert hidden.status_code == 404
    assert json.loads(hidden.content.decode().replace(object_id, MISSING_ID)) == missing.json()


def test_public_object_is_readable_by_anyone(as_alice):
    object_id = create(as_alice, security="public")["id"]
    assert APIClient().get(detail_url(object_id)).status_code == 200


def test_staff_reads_private_object(as_alice, as_staff):
    object_id = create(as_alice)["id"]
    assert as_staff.get(detail_url(object_id)).status_code == 200


# Change and delete.


def test_patch_changes_ttl(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.patch(detail_url(object_id), {"ttl": 120}, format="json")
    assert response.status_code == 200
    assert response.json()["ttl"] == 120
    assert as_alice.get(detail_url(object_id)).json()["ttl"] == 120


def test_patch_changes_security(as_alice, as_bob):
    object_id = create(as_alice)["id"]
    response = as_alice.patch(detail_url(object_id), {"security": "public"}, format="json")
    assert response.json()["security"] == "public"
    assert as_bob.get(detail_url(object_id)).status_code == 200


def test_patch_rejects_invalid_ttl(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.patch(detail_url(object_id), {"ttl": -5}, format="json")
    assert response.status_code == 400
    assert "ttl" in response.json()["message"]


def test_patch_by_non_owner_is_forbidden(as_alice, as_bob):
    object_id = create(as_alice, security="public")["id"]
    response = as_bob.patch(detail_url(object_id), {"ttl": 10}, format="json")
    assert response.status_code == 403


def test_delete_removes_object(as_alice):
    object_id = create(as_alice)["id"]
    assert as_alice.delete(detail_url(object_id)).status_code == 204
    assert as_alice.get(detail_url(object_id)).status_code == 404


def test_delete_by_non_owner_is_forbidden(as_alice, as_bob):
    object_id = create(as_alice, security="public")["id"]
    assert as_bob.delete(detail_url(object_id)).status_code == 403
    assert as_alice.get(detail_url(object_id)).status_code == 200


# Writes.


def test_state_update_with_server_id(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"data": {"p": 50}}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": object_id, "update_id": 1}
    assert as_alice.get(detail_url(object_id)).json()["data"] == {"p": 50}


def test_state_update_with_client_id(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"data": 1, "update_id": 10}, format="json")
    assert response.json()["update_id"] == 10


def test_state_update_with_token(alice):
    client = token_client(alice)
    object_id = create(client)["id"]
    assert client.post(state_url(object_id), {"data": 1}, format="json").status_code == 200


def test_message_keeps_state(as_alice):
    object_id = create(as_alice, data="state")["id"]
    response = as_alice.post(messages_url(object_id), {"payload": {"note": "hi"}}, format="json")
    assert response.status_code == 200
    assert response.json()["update_id"] == 1
    body = as_alice.get(detail_url(object_id)).json()
    assert body["data"] == "state"
    assert body["update_id"] == 1


def test_message_with_client_id(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(messages_url(object_id), {"payload": None, "update_id": 7}, format="json")
    assert response.json()["update_id"] == 7


def test_messages_and_states_share_ids(as_alice):
    object_id = create(as_alice)["id"]
    as_alice.post(state_url(object_id), {"data": 1}, format="json")
    response = as_alice.post(messages_url(object_id), {"payload": 2}, format="json")
    assert response.json()["update_id"] == 2


@pytest.mark.parametrize("url", [state_url, messages_url])
def test_stale_write_is_conflict(as_alice, url):
    object_id = create(as_alice)["id"]
    as_alice.post(state_url(object_id), {"data": "new", "update_id": 10}, format="json")
    field = "data" if url is state_url else "payload"
    response = as_alice.post(url(object_id), {field: "old", "update_id": 10}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["current_update_id"] == 10
    assert as_alice.get(detail_url(object_id)).json()["data"] == "new"


@pytest.mark.parametrize("update_id", [0, -1, MAX_UPDATE_ID + 1, "ten"])
def test_update_id_out_of_range_is_invalid(as_alice, update_id):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"data": 1, "update_id": update_id}, format="json")
    assert response.status_code == 400
    assert "update_id" in response.json()["message"]


def test_update_id_exhausted_is_conflict(as_alice):
    object_id = create(as_alice)["id"]
    as_alice.post(state_url(object_id), {"data": 1, "update_id": MAX_UPDATE_ID}, format="json")
    response = as_alice.post(state_url(object_id), {"data": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "update_id_exhausted"


def test_state_update_without_data_is_invalid(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"update_id": 3}, format="json")
    assert response.status_code == 400
    assert "data" in response.json()["errors"]


def test_write_to_unknown_id_is_not_found(as_alice):
    response = as_alice.post(state_url(MISSING_ID), {"data": 1}, format="json")
    assert response.status_code == 404


def test_write_to_hidden_object_is_not_found(as_alice, as_bob):
    object_id = create(as_alice)["id"]
    assert as_bob.post(state_url(object_id), {"data": 1}, format="json").status_code == 404


def test_public_object_written_by_non_owner_is_forbidden(as_alice, as_bob):
    object_id = create(as_alice, security="public")["id"]
    response = as_bob.post(state_url(object_id), {"data": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_public_object_written_by_anonymous_is_rejected(as_alice):
    object_id = create(as_alice, security="public")["id"]
    response = APIClient().post(messages_url(object_id), {"payload": 1}, format="json")
    assert response.status_code in (401, 403)


def test_staff_may_not_write_by_default(as_alice, as_staff):
    object_id = create(as_alice)["id"]
    assert as_staff.post(state_url(object_id), {"data": 1}, format="json").status_code == 403


@override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "STAFF_MAY_WRITE": True})
def test_staff_writes_when_allowed(as_alice, as_staff):
    object_id = create(as_alice)["id"]
    assert as_staff.post(state_url(object_id), {"data": 1}, format="json").status_code == 200


# Payload limits.


def test_body_far_over_limit_is_too_large(as_alice):
    object_id = create(as_alice)["id"]
    body = json.dumps({"data": "x" * (2 * 1024 * 1024)})
    response = as_alice.post(state_url(object_id), body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "65536" in response.json()["message"]


def test_payload_just_over_limit_is_too_large(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"data": "x" * 65535}, format="json")
    assert response.status_code == 413
    assert "65536" in response.json()["message"]


def test_payload_at_limit_is_accepted(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), {"data": "x" * 65534}, format="json")
    assert response.status_code == 200


def test_create_with_payload_over_limit_is_too_large(as_alice):
    response = as_alice.post(LIST_URL, {"data": "x" * 70000}, format="json")
    assert response.status_code == 413


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_is_invalid(as_alice, literal):
    object_id = create(as_alice)["id"]
    body = '{"data": {"p": %s}}' % literal
    response = as_alice.post(state_url(object_id), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_number_overflowing_float_is_invalid(as_alice):
    object_id = create(as_alice)["id"]
    body = '{"data": {"p": 1e400}}'
    response = as_alice.post(state_url(object_id), body, content_type="application/json")
    assert response.status_code == 400
    assert "data" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    ['{"data": "\\ud800"}', '{"data": {"\\udfff": 1}}', '{"data": 1, "update_id": "\\uD800"}'],
)
def test_lone_surrogate_in_body_is_invalid(as_alice, body):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_lone_surrogate_in_create_field_is_invalid(as_alice):
    response = as_alice.post(LIST_URL, '{"security": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400


def test_escaped_surrogate_pair_is_accepted(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.post(state_url(object_id), '{"data": "\\ud83d\\ude00"}', content_type="application/json")
    assert response.status_code == 200
    assert as_alice.get(detail_url(object_id)).json()["data"] == "\U0001f600"


def test_payload_too_deep_is_invalid(as_alice):
    object_id = create(as_alice)["id"]
    body = '{"payload": ' + "[" * 40 + "]" * 40 + "}"
    response = as_alice.post(messages_url(object_id), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_deep"


def test_body_nested_past_recursion_limit_is_invalid(as_alice):
    object_id = create(as_alice)["id"]
    body = '{"data": ' + "[" * 20000 + "]" * 20000 + "}"
    response = as_alice.post(state_url(object_id), body, content_type="application/json")
    assert response.status_code == 400


# Schema and browsable API.


def test_schema_is_valid_openapi():
    GENERATOR_STATS.reset()
    response = APIClient().get(reverse("shoutout-schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    validate_schema(response.json())
    assert not GENERATOR_STATS


def test_schema_operation_ids_are_unique():
    schema = APIClient().get(reverse("shoutout-schema"), HTTP_ACCEPT="application/json").json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == 9
    assert len(set(ids)) == len(ids)


def test_schema_covers_every_endpoint():
    schema = APIClient().get(reverse("shoutout-schema"), HTTP_ACCEPT="application/json").json()
    assert set(schema["paths"]) == {
        "/shoutout/api/objects/",
        "/shoutout/api/objects/{object_id}/",
        "/shoutout/api/objects/{object_id}/state/",
        "/shoutout/api/objects/{object_id}/messages/",
        "/shoutout/api/objects/{object_id}/tokens/",
        "/shoutout/api/objects/{object_id}/tokens/revoke/",
    }


def test_browsable_api_renders_object(as_alice):
    object_id = create(as_alice, data={"label": "<b>upload</b>"})["id"]
    response = as_alice.get(detail_url(object_id), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert object_id in response.content.decode()
    assert "<b>upload</b>" not in response.content.decode()


def test_browsable_api_renders_list(as_alice):
    create(as_alice)
    response = as_alice.get(LIST_URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_browsable_api_renders_write_endpoint(as_alice):
    object_id = create(as_alice)["id"]
    response = as_alice.get(state_url(object_id), HTTP_ACCEPT="text/html")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")


def test_browsable_api_renders_list_for_anonymous():
    response = APIClient().get(LIST_URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_browsable_api_renders_public_object_for_reader(as_alice, as_bob):
    object_id = create(as_alice, security="public")["id"]
    response = as_bob.get(detail_url(object_id), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert object_id in response.content.decode()


def test_browsable_api_hides_write_form_from_reader(as_alice, as_bob):
    object_id = create(as_alice, security="public")["id"]
    page = as_bob.get(detail_url(object_id), HTTP_ACCEPT="text/html").content.decode()
    assert 'data-method="PATCH"' not in page
    assert 'data-method="DELETE"' not in page


def test_browsable_api_shows_write_form_to_owner(as_alice):
    object_id = create(as_alice)["id"]
    page = as_alice.get(detail_url(object_id), HTTP_ACCEPT="text/html").content.decode()
    assert 'data-method="PATCH"' in page
    assert 'data-method="DELETE"' in page


def test_browsable_api_renders_not_found(as_alice):
    response = as_alice.get(detail_url(MISSING_ID), HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_form_body_gets_415_naming_json(as_alice):
    response = as_alice.post(LIST_URL, {"ttl": 60})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "application/json" in response.json()["message"]
