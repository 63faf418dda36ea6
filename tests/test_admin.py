import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import Group
from django.contrib.admin.utils import quote
from django.urls import reverse
from rest_framework.test import APIClient

from shoutout import api, operations
from shoutout.ids import group_name
from shoutout.models import StateObject
from shoutout.store import get_store

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:shoutout_stateobject_changelist")


def change_url(object_id):
    # The admin unquotes "_XX" in URLs, and object ids may contain "_", so the
    # id is quoted as the admin's own links quote it.
    return reverse("admin:shoutout_stateobject_change", args=[quote(object_id)])


def test_changelist_lists_live_objects(admin_client):
    object_id = api.create(data={"step": 1}).id
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert object_id in response.content.decode()


def test_changelist_hides_object_expired_in_store(admin_client):
    live = api.create().id
    expired = api.create().id
    get_store().delete(expired)  # the store dropped it before a sweep removed the row
    page = admin_client.get(CHANGELIST).content.decode()
    assert live in page
    assert expired not in page


def test_changelist_hides_expired_object(admin_client):
    expired = api.create().id
    operations.expire([expired])
    assert expired not in admin_client.get(CHANGELIST).content.decode()


def test_changelist_escapes_preview(admin_client):
    api.create(data={"label": "<script>alert(1)</script>"})
    page = admin_client.get(CHANGELIST).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_changelist_shows_update_id(admin_client):
    object_id = api.create().id
    api.update(object_id, "x", update_id=4242)
    assert "4242" in admin_client.get(CHANGELIST).content.decode()


def test_expire_now_action_expires_selected(admin_client):
    chosen = api.create().id
    kept = api.create().id
    response = admin_client.post(
        CHANGELIST, {"action": "expire_now", "_selected_action": [chosen]}, follow=True
    )
    assert response.status_code == 200
    assert api.get(chosen) is None
    assert not StateObject.objects.filter(pk=chosen).exists()
    assert api.get(kept) is not None


def test_expire_now_action_reports_count(admin_client):
    ids = [api.create().id for _ in range(2)]
    response = admin_client.post(CHANGELIST, {"action": "expire_now", "_selected_action": ids}, follow=True)
    assert "Expired 2 state objects." in response.content.decode()


def test_expire_now_action_notifies_receivers(admin_client):
    object_id = api.create().id
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(object_id), channel)

    admin_client.post(CHANGELIST, {"action": "expire_now", "_selected_action": [object_id]})

    event = async_to_sync(layer.receive)(channel)
    assert event["kind"] == "expired"
    assert event["object_id"] == object_id


def test_change_form_renders(admin_client):
    object_id = api.create(data={"step": 1}).id
    response = admin_client.get(change_url(object_id))
    assert response.status_code == 200
    assert object_id in response.content.decode()


def test_change_form_updates_store_ttl(admin_client):
    object_id = api.create(ttl=60).id
    response = admin_client.post(change_url(object_id), {"security": "public", "ttl": 120, "_save": "Save"})
    assert response.status_code == 302
    snapshot = get_store().get(object_id, operations.now())
    assert snapshot.ttl == 120
    assert StateObject.objects.get(pk=object_id).security == "public"


def test_add_is_not_offered(admin_client):
    response = admin_client.get(reverse("admin:shoutout_stateobject_add"))
    assert response.status_code == 403


def test_non_staff_is_redirected_to_login(client, django_user_model):
    user = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_is_redirected_to_login(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# Security fields and capability tokens.


def detail_url(object_id):
    return reverse("shoutout-object-detail", args=[object_id])


def read_with_token(object_id, token):
    """GET the object through the REST API as an anonymous client holding ``token``."""
    return APIClient().get(detail_url(object_id), HTTP_X_SHOUTOUT_TOKEN=token)


@pytest.mark.parametrize(
    "field", ["security", "ttl", "readers", "writers", "reader_groups", "writer_groups"]
)
def test_change_form_has_security_field(admin_client, field):
    object_id = api.create().id
    page = admin_client.get(change_url(object_id)).content.decode()
    assert f'name="{field}"' in page


def test_change_form_shows_granted_names(admin_client, django_user_model):
    django_user_model.objects.create_user("reader-rita", password="pw")
    django_user_model.objects.create_user("writer-will", password="pw")
    Group.objects.create(name="watchers")
    object_id = api.create().id
    api.set_grants(object_id, readers=["reader-rita"], writers=["writer-will"], reader_groups=["watchers"])
    page = admin_client.get(change_url(object_id)).content.decode()
    assert "reader-rita" in page
    assert "writer-will" in page
    assert "watchers" in page


def test_change_form_shows_token_generation_read_only(admin_client):
    object_id = api.create().id
    page = admin_client.get(change_url(object_id)).content.decode()
    assert "token_generation" in page
    assert 'name="token_generation"' not in page


def test_change_form_grants_reader(admin_client, django_user_model):
    bob = django_user_model.objects.create_user("bob", password="pw")
    group = Group.objects.create(name="watchers")
    object_id = api.create(ttl=60).id
    form = {"security": "private", "ttl": 60, "readers": [bob.pk], "reader_groups": [group.pk], "_save": "Save"}
    response = admin_client.post(change_url(object_id), form)
    assert response.status_code == 302
    assert api.get(object_id, user=bob) is not None
    assert list(StateObject.objects.get(pk=object_id).reader_groups.all()) == [group]


def test_change_form_save_tells_receivers_to_check_access(admin_client):
    object_id = api.create(ttl=60).id
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(object_id), channel)

    admin_client.post(change_url(object_id), {"security": "private", "ttl": 60, "_save": "Save"})

    event = async_to_sync(layer.receive)(channel)
    assert event["kind"] == "access"
    assert event["object_id"] == object_id


def revoke(admin_client, *object_ids):
    return admin_client.post(
        CHANGELIST, {"action": "revoke_tokens", "_selected_action": list(object_ids)}, follow=True
    )


def test_revoke_action_increments_token_generation(admin_client):
    object_id = api.create().id
    revoke(admin_client, object_id)
    assert StateObject.objects.get(pk=object_id).token_generation == 1


def test_revoke_action_refuses_old_tokens(admin_client):
    object_id = api.create().id
    token = api.mint_token(object_id, "read")
    assert read_with_token(object_id, token).status_code == 200

    revoke(admin_client, object_id)

    response = read_with_token(object_id, token)
    assert response.status_code == 403
    assert response.json()["code"] == "token_revoked"


def test_revoke_action_keeps_new_tokens_valid(admin_client):
    object_id = api.create().id
    revoke(admin_client, object_id)
    token = api.mint_token(object_id, "read")
    assert read_with_token(object_id, token).status_code == 200


def test_revoke_action_leaves_unselected_objects(admin_client):
    chosen = api.create().id
    kept = api.create().id
    token = api.mint_token(kept, "read")
    revoke(admin_client, chosen)
    assert read_with_token(kept, token).status_code == 200


def test_revoke_action_reports_count(admin_client):
    ids = [api.create().id for _ in range(2)]
    response = revoke(admin_client, *ids)
    assert "Revoked the tokens of 2 state objects." in response.content.decode()


def test_revoke_action_tells_receivers(admin_client):
    object_id = api.create().id
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(object_id), channel)

    revoke(admin_client, object_id)

    event = async_to_sync(layer.receive)(channel)
    assert event["kind"] == "access"
    assert event["update_id"] == 1


def test_non_staff_cannot_open_change_form(client, django_user_model):
    object_id = api.create().id
    client.force_login(django_user_model.objects.create_user("alice", password="pw"))
    response = client.get(change_url(object_id))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_cannot_revoke_tokens(client, django_user_model):
    alice = django_user_model.objects.create_user("alice", password="pw")
    object_id = api.create(owner=alice).id
    client.force_login(alice)
    client.post(CHANGELIST, {"action": "revoke_tokens", "_selected_action": [object_id]})
    assert StateObject.objects.get(pk=object_id).token_generation == 0


def test_staff_without_permission_cannot_open_change_form(client, django_user_model):
    object_id = api.create().id
    client.force_login(django_user_model.objects.create_user("clerk", password="pw", is_staff=True))
    response = client.get(change_url(object_id))
    assert response.status_code == 403


@pytest.mark.parametrize("ttl", [0, 86401])
def test_change_form_rejects_ttl_out_of_range(admin_client, ttl):
    object_id = api.create(ttl=60).id
    response = admin_client.post(change_url(object_id), {"security": "private", "ttl": ttl, "_save": "Save"})
    assert response.status_code == 200
    assert "SHOUTOUT[&#x27;MAX_TTL&#x27;]" in response.content.decode()
    assert StateObject.objects.get(pk=object_id).ttl == 60


def test_change_page_opens_ids_with_underscore_escapes(admin_client):
    object_id = "AAAAAAAAAA_2BAAAAAAAAA"
    StateObject.objects.create(id=object_id, ttl=60)
    get_store().create(object_id, "null", 60, operations.now())
    response = admin_client.get(change_url(object_id))
    assert response.status_code == 200
    assert object_id in response.content.decode()
