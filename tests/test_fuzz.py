"""Schemathesis fuzzing of the REST API from the OpenAPI schema it serves.

Requests go to the in-process WSGI application, never over the network.
Each operation runs under five credentials: anonymous, a reader, the writer
(owner), an anonymous client holding a write capability token, and one
sending a forged token. Before each example, fresh objects are created, and
the path's ``object_id`` is one of them or a generated string, so the fuzzer
gets past the 404 responses. Every response must be below 500, and every
error response must be JSON with ``code`` and ``message``.
"""

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from shoutout import api
from shoutout.models import StateObject
from shoutout.store import reset_store

pytestmark = pytest.mark.django_db

SCHEMA_PATH = "/shoutout/api/schema/"
# Examples per operation and credential; set SHOUTOUT_FUZZ_EXAMPLES for a
# longer run. The default keeps this file under about a minute.
EXAMPLES = int(os.environ.get("SHOUTOUT_FUZZ_EXAMPLES", "50"))
# Every operation in the schema; test_schema_lists_every_fuzzed_operation
# fails when an endpoint is added without being fuzzed here.
OPERATIONS = [
    "shoutout_objects_list",
    "shoutout_objects_create",
    "shoutout_objects_retrieve",
    "shoutout_objects_partial_update",
    "shoutout_objects_destroy",
    "shoutout_objects_state_create",
    "shoutout_objects_messages_create",
    "shoutout_tokens_create",
    "shoutout_tokens_revoke",
]
CREDENTIALS = ["anonymous", "reader", "writer", "capability", "forged"]
# Values sent as a forged X-ShoutOut-Token: printable ASCII without spaces, which
# the HTTP client would reject at the start of a header value.
FORGED_TOKENS = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=200)
# Where a path's object_id comes from: an object the writer owns and the
# reader may read, a public one, or whatever the fuzzer generated.
OBJECT_CHOICES = ["private", "public", "generated"]
# Creation limits would reject most fuzzed creations with 429; tests/test_limits.py covers them.
FUZZ_SETTINGS = {
    "EXPIRY_SWEEP_INTERVAL": 0,
    "CREATE_RATE": None,
    "MAX_LIVE_OBJECTS_PER_USER": None,
    "ALLOW_ANONYMOUS_CREATE": True,
}


@pytest.fixture
def schema(db):
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())


def operations_by_id(schema):
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.definition.raw["operationId"]] = operation
    return found


@pytest.fixture
def users(django_user_model):
    writer = django_user_model.objects.create_user("writer", password="pw")
    reader = django_user_model.objects.create_user("reader", password="pw")
    return {"writer": writer, "reader": reader}


def drf_token(user):
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def create_objects(users):
    """Replace every object with the ones an example may target; return their ids and a write token.

    Starting each example from the same objects keeps examples independent,
    so Hypothesis can shrink a failure, and keeps the list endpoint short.
    """
    StateObject.objects.all().delete()
    reset_store()
    private = api.create(owner=users["writer"], security="private", data={"step": 1})
    api.set_grants(private.id, readers=[users["reader"].username])
    public = api.create(owner=users["writer"], security="public")
    return {"private": private.id, "public": public.id}, api.mint_token(private.id, "write")


def headers_for(credential, users, capability, forged):
    if credential in ("reader", "writer"):
        return drf_token(users[credential])
    if credential == "capability":
        return {"X-ShoutOut-Token": capability}
    if credential == "forged":
        return {"X-ShoutOut-Token": forged}
    return {}


def case_strategy(operation):
    """Return cases that fit the schema and cases that break it, when the operation has inputs to break."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.body or operation.path_parameters:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def describe(case, response):
    return (
        f"{case.method} {case.formatted_path} body={case.body!r} -> {response.status_code}: "
        f"{response.content[:500]!r}"
    )


def test_schema_lists_every_fuzzed_operation(schema):
    assert sorted(operations_by_id(schema)) == sorted(OPERATIONS)


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_fuzzed_requests_get_no_server_error(schema, users, operation_id, credential):
    operation = operations_by_id(schema)[operation_id]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy(operation), target=st.sampled_from(OBJECT_CHOICES), forged=FORGED_TOKENS)
    def fuzz(case, target, forged):
        object_ids, capability = create_objects(users)
        if "object_id" in (case.path_parameters or {}) and target != "generated":
            case.path_parameters["object_id"] = object_ids[target]

        response = case.call(headers=headers_for(credential, users, capability, forged))

        assert response.status_code < 500, describe(case, response)
        if response.status_code >= 400:
            body = json.loads(response.content)
            assert "code" in body, describe(case, response)
            assert "message" in body, describe(case, response)

    with override_settings(SHOUTOUT=FUZZ_SETTINGS):
        fuzz()
