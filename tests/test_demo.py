"""Views of the example project's upload demo, through Django's test client."""

import pytest
from django.contrib.auth import get_user_model

from example_project.demo.uploads import MAX_NAME_LENGTH, clean_file_name
from shoutout import api

pytestmark = pytest.mark.django_db

BODY = b"0123456789" * 1000


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo_user():
    return get_user_model().objects.create_user("demo")


@pytest.fixture
def public_upload(demo_user):
    return api.create(owner=demo_user, security="public", data={"pct": 0, "status": "waiting"})


def upload(client, object_id, body=BODY, name="report.pdf"):
    return client.post(
        f"/upload/{object_id}/",
        data=body,
        content_type="application/octet-stream",
        headers={"X-File-Name": name},
    )


def test_login_page_offers_demo_accounts(client, settings):
    settings.DEBUG = True
    response = client.get("/login/")
    assert b"Log in as demo" in response.content
    assert b"Log in as colleague" in response.content


def test_login_creates_account_on_demand(client, settings):
    settings.DEBUG = True
    response = client.post("/login/", {"account": "colleague"})
    assert response.status_code == 302
    assert response.url == "/upload/"
    user = get_user_model().objects.get(username="colleague")
    assert not user.has_usable_password()


def test_login_follows_safe_next_only(client, settings):
    settings.DEBUG = True
    response = client.post("/login/", {"account": "demo", "next": "https://elsewhere.test/"})
    assert response.url == "/upload/"


def test_login_rejects_unknown_account(client, settings):
    settings.DEBUG = True
    response = client.post("/login/", {"account": "admin"})
    assert response.status_code == 400


def test_login_is_off_without_debug(client, settings):
    settings.DEBUG = False
    response = client.post("/login/", {"account": "demo"})
    assert response.status_code == 400


def test_upload_page_needs_login(client):
    response = client.get("/upload/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_upload_page_loads_client_and_demo_script(client, demo_user):
    client.force_login(demo_user)
    content = client.get("/upload/").content.decode()
    assert "/static/shoutout/shoutout.js" in content
    assert "/static/demo/upload.js" in content


def test_upload_stores_file(client, demo_user, public_upload, media_root):
    client.force_login(demo_user)
    response = upload(client, public_upload.id)
    assert response.status_code == 200
    stored = media_root / "uploads" / public_upload.id / "report.pdf"
    assert stored.read_bytes() == BODY


def test_upload_sets_final_state(client, demo_user, public_upload):
    client.force_login(demo_user)
    upload(client, public_upload.id)
    data, update_id = api.get(public_upload.id)
    assert data == {"pct": 100, "status": "stored", "name": "report.pdf", "size": len(BODY)}
    assert update_id == len(BODY) + 2


def test_upload_publishes_stored_message(client, demo_user, public_upload):
    client.force_login(demo_user)
    response = upload(client, public_upload.id)
    assert response.json()["message"] == "accepted"


def test_upload_reports_name_and_size(client, demo_user, public_upload):
    client.force_login(demo_user)
    response = upload(client, public_upload.id)
    assert response.json()["name"] == "report.pdf"
    assert response.json()["size"] == len(BODY)
    assert response.json()["state"] == "accepted"


def test_late_progress_cannot_overwrite_end_state(client, demo_user, public_upload):
    client.force_login(demo_user)
    upload(client, public_upload.id)
    late = api.update(public_upload.id, {"pct": 99, "status": "uploading"}, update_id=len(BODY))
    assert late.stale
    assert api.get(public_upload.id)[0]["status"] == "stored"


def test_upload_strips_path_from_name(client, demo_user, public_upload, media_root):
    client.force_login(demo_user)
    response = upload(client, public_upload.id, name="..%2F..%2Fetc%2Fpasswd")
    assert response.json()["name"] == "passwd"
    assert (media_root / "uploads" / public_upload.id / "passwd").exists()


def test_upload_rejects_reader_who_may_not_write(client, public_upload):
    colleague = get_user_model().objects.create_user("colleague")
    client.force_login(colleague)
    response = upload(client, public_upload.id)
    assert response.status_code == 403


def test_upload_rejects_anonymous(client, public_upload):
    response = upload(client, public_upload.id)
    assert response.status_code == 403


def test_upload_hides_private_object(client, demo_user):
    private = api.create(owner=demo_user, security="private")
    client.force_login(get_user_model().objects.create_user("colleague"))
    response = upload(client, private.id)
    assert response.status_code == 404


def test_upload_rejects_unknown_object(client, demo_user):
    client.force_login(demo_user)
    response = upload(client, "A" * 22)
    assert response.status_code == 404


def test_upload_leaves_no_file_when_rejected(client, public_upload, media_root):
    upload(client, public_upload.id)
    assert not (media_root / "uploads").exists()


def test_watch_page_renders_current_state(client, demo_user, public_upload):
    client.force_login(demo_user)
    upload(client, public_upload.id)
    client.logout()
    content = client.get(f"/watch/{public_upload.id}/").content.decode()
    assert 'value="100"' in content
    assert "report.pdf" in content


def test_watch_page_hides_private_object(client, demo_user):
    private = api.create(owner=demo_user, security="private")
    response = client.get(f"/watch/{private.id}/")
    assert response.status_code == 404


def test_watch_page_of_unknown_object_is_404(client):
    response = client.get("/watch/not-an-id/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("quarterly report.pdf", "quarterly_report.pdf"),
        ("C:%5Cfakepath%5Cphoto.jpg", "photo.jpg"),
        ("..%2F..%2Fsecret.txt", "secret.txt"),
        (".htaccess", "htaccess"),
        ("r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        ("%3Cscript%3E.html", "script.html"),
        ("..", "upload.bin"),
        ("", "upload.bin"),
        ("%00%01", "upload.bin"),
    ],
)
def test_clean_file_name(raw, expected):
    assert clean_file_name(raw) == expected


def test_clean_file_name_keeps_extension_when_truncating():
    name = clean_file_name("a" * 300 + ".tar.gz")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".gz")
