"""The upload endpoint of the demo: store the request body as a file, then tell the watchers.

The page sends the file as the raw request body (not multipart), so the bytes
that ``xhr.upload.onprogress`` reports never exceed the file size. The page
uses those byte counts as update ids of its progress states. This view writes
the final message and state with ids above the size. A progress frame that
arrives after them is rejected as stale instead of overwriting the end state.
"""

import logging
import os
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import JsonResponse
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST

from shoutout import api
from shoutout.ids import is_valid_object_id
from shoutout.models import StateObject
from shoutout.policy import may_read, may_write

logger = logging.getLogger("example_project.demo")

# Largest upload the demo accepts, in bytes.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_NAME_LENGTH = 100
FALLBACK_NAME = "upload.bin"
CHUNK_BYTES = 256 * 1024


def clean_file_name(raw: str) -> str:
    """Return a safe base name for the file name the browser sent (URL-encoded, any path stripped)."""
    name = unicodedata.normalize("NFC", unquote(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name = get_valid_filename(name).lstrip(".")
    except SuspiciousFileOperation:
        return FALLBACK_NAME
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: MAX_NAME_LENGTH - len(extension)] + extension
    return name or FALLBACK_NAME


def upload_path(object_id: str, name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "uploads" / object_id / name


def store_body(request, path: Path) -> int:
    """Copy the request body to ``path`` in chunks and return its size, or -1 when it is over the limit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    size = 0
    with open(partial, "wb") as out:
        while chunk := request.read(CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            out.write(chunk)
    if size > MAX_UPLOAD_BYTES:
        partial.unlink()
        return -1
    os.replace(partial, path)
    return size


def error(code, message, status):
    return JsonResponse({"code": code, "message": message}, status=status)


@require_POST
def receive_upload(request, object_id):
    """Store the uploaded file for state object ``object_id`` and announce it.

    Only a user who may write the object (its owner, under the default policy)
    may upload. The file name comes URL-encoded in the ``X-File-Name`` header.
    """
    row = StateObject.objects.filter(pk=object_id).first() if is_valid_object_id(object_id) else None
    if row is None or not may_read(request.user, row):
        return error("not_found", f"No state object {object_id!r} is visible to you.", 404)
    if not may_write(request.user, row):
        return error("forbidden", f"You may not upload to state object {object_id!r}.", 403)
    declared = request.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        return error("too_large", f"Uploads are limited to {MAX_UPLOAD_BYTES} bytes.", 413)

    name = clean_file_name(request.headers.get("X-File-Name", ""))
    size = store_body(request, upload_path(object_id, name))
    if size < 0:
        return error("too_large", f"Uploads are limited to {MAX_UPLOAD_BYTES} bytes.", 413)
    logger.info("Stored upload %s (%d bytes) for object %s", name, size, object_id)

    message = api.publish(
        object_id, {"event": "stored", "name": name, "size": size}, update_id=size + 1, user=request.user
    )
    final = api.update(
        object_id,
        {"pct": 100, "status": "stored", "name": name, "size": size},
        update_id=size + 2,
        user=request.user,
    )
    if not (message.accepted and final.accepted):
        logger.warning(
            "Announcing upload of object %s failed: message %s, state %s", object_id, message.status, final.status
        )
    return JsonResponse({"name": name, "size": size, "message": message.status, "state": final.status})
