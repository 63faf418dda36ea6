"""Sending frames to every receiver of an object through the channel layer.

Each object has one group (named by :func:`shoutout.ids.group_name`). An event
carries the finished frame text plus the update id, so each consumer only
compares an integer and forwards the text.

Fan-out is best effort: channel layers drop an event for a receiver whose
channel is full (``capacity`` in ``CHANNEL_LAYERS``), and a failure to reach the
layer is logged, never raised into the sender, because the write is already
stored and a later snapshot or update carries it.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from shoutout.conf import shoutout_settings
from shoutout.ids import group_name

logger = logging.getLogger("shoutout.fanout")

# The consumer method that handles these events is ``shoutout_frame``.
EVENT_TYPE = "shoutout.frame"


def build_event(object_id: str, kind: str, text: str, update_id=None) -> dict:
    """Return a channel-layer event; ``kind`` is state, message, expired, deleted or access.

    An ``access`` event carries no frame text. It signals that the object's
    security changed, so each receiver checks its read access again.
    """
    return {
        "type": EVENT_TYPE,
        "object_id": object_id,
        "kind": kind,
        "update_id": update_id,
        "text": text,
    }


def _layer():
    layer = get_channel_layer(shoutout_settings.CHANNEL_LAYER)
    if layer is None:
        logger.warning(
            "No channel layer %r is configured; frames for live receivers are not sent. "
            "Set CHANNEL_LAYERS in the Django settings.",
            shoutout_settings.CHANNEL_LAYER,
        )
    return layer


async def asend(event: dict) -> bool:
    """Send an event to the object's group; return False when it could not be sent."""
    layer = _layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group_name(event["object_id"]), event)
    except Exception:
        logger.exception(
            "Fan-out of a %s frame for object %s (update %s) failed",
            event["kind"], event["object_id"], event["update_id"],
        )
        return False
    return True


def send(event: dict) -> bool:
    """Sync twin of :func:`asend`, for views, commands and task workers."""
    return async_to_sync(asend)(event)
