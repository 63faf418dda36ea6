"""Expiry sweeps: remove expired objects and tell their receivers.

Each server process runs one sweeper task in its event loop, started by the
first WebSocket connection. The store hands each expired id to exactly one
sweep, so with a shared store every object is announced once.
"""

import asyncio
import logging
import time
import weakref

from channels.db import database_sync_to_async

from shoutout import fanout, frames
from shoutout.conf import shoutout_settings
from shoutout.models import StateObject
from shoutout.store import get_store

logger = logging.getLogger("shoutout.expiry")

_sweepers = weakref.WeakKeyDictionary()


@database_sync_to_async
def _delete_rows(object_ids):
    StateObject.objects.filter(pk__in=object_ids).delete()


async def sweep(now=None) -> list:
    """Expire every object whose expiry has passed; return their ids."""
    now = time.time() if now is None else now
    expired = []
    while True:
        batch = await get_store().apop_expired(now, limit=100)
        if not batch:
            break
        expired.extend(batch)
        await _delete_rows(batch)
        for object_id in batch:
            await fanout.asend(fanout.build_event(object_id, "expired", frames.control("expired", object_id)))
    if expired:
        logger.info("Expired %d state objects", len(expired))
    return expired


async def _run_forever():
    while True:
        try:
            await sweep()
        except Exception:
            # The loop must outlive a failing store or database, or expiry
            # would stop silently for the life of the process.
            logger.exception("Expiry sweep failed; retrying in %s s", shoutout_settings.EXPIRY_SWEEP_INTERVAL)
        await asyncio.sleep(shoutout_settings.EXPIRY_SWEEP_INTERVAL)


def ensure_sweeper():
    """Start the sweeper task in the running event loop unless one runs there.

    ``SHOUTOUT['EXPIRY_SWEEP_INTERVAL'] = 0`` turns the task off; then run
    ``manage.py shoutout_expire`` periodically instead.
    """
    if not shoutout_settings.EXPIRY_SWEEP_INTERVAL:
        return
    loop = asyncio.get_running_loop()
    task = _sweepers.get(loop)
    if task is None or task.done():
        _sweepers[loop] = loop.create_task(_run_forever(), name="shoutout-expiry-sweeper")
