"""The WebSocket consumer: many subscriptions, and writes, over one socket.

Ordering invariant: for each subscription the consumer remembers the highest
update id it has sent and drops any event that is not newer. Fan-out events
of concurrent writers can reach the consumer out of order, and a subscribe
snapshot can overtake events already queued. This filter is what keeps every
client's ids strictly increasing. Channels dispatches a consumer's messages
one at a time, so the filter needs no lock.
"""

import logging

from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth.models import AnonymousUser

from shoutout import auth, expiry, frames, operations, protocol
from shoutout.access import READ, not_found
from shoutout.conf import shoutout_settings
from shoutout.errors import LimitExceeded, NotAuthenticated, NotFound, ShoutOutError
from shoutout.ids import group_name, is_valid_object_id
from shoutout.ratelimit import FloodGuard, TokenBucket
from shoutout.store import get_store
from shoutout.tokens import TokenError

# WebSocket close code for a client that keeps flooding: 4008, the private-use
# twin of 1008 (policy violation). Daphne (autobahn) lets an application send
# only 1000 or 3000-4999 and fails the connection with 1011 for 1008.
CLOSE_FLOODING = 4008

logger = logging.getLogger("shoutout.consumer")

# Last update id sent for a subscription that has not had its snapshot yet.
_BEFORE_SNAPSHOT = -1


class StateConsumer(AsyncWebsocketConsumer):
    """Serves the ShoutOut WebSocket protocol (``docs/websocket-protocol.md``).

    The user comes from ``scope["user"]`` (Channels' ``AuthMiddlewareStack``
    or :class:`shoutout.auth.TokenAuthMiddleware`), or from an ``auth``
    frame; without any of them the connection is anonymous. Capability tokens
    come with each ``subscribe``, ``update`` and ``message`` frame.
    """

    @property
    def channel_layer_alias(self):
        """The layer that fan-out sends to, ``SHOUTOUT['CHANNEL_LAYER']``, read when a connection opens."""
        return shoutout_settings.CHANNEL_LAYER

    async def connect(self):
        """Called on the WebSocket handshake; accepts and starts the expiry sweeper."""
        self.user = self.scope.get("user") or AnonymousUser()
        # object id -> highest update id sent on this socket for that object.
        self.subscriptions: dict[str, int] = {}
        # object id -> capability token, for subscriptions a token granted.
        self.subscription_tokens: dict[str, str] = {}
        self.write_bucket = TokenBucket(shoutout_settings.WRITE_RATE_PER_CONNECTION)
        self.flood_guard = FloodGuard(shoutout_settings.MAX_REJECTED_FRAMES)
        # Set when the server closed the socket for flooding.
        self.flooding = False
        await self.accept()
        expiry.ensure_sweeper()
        logger.debug("Connection opened: %s", self.channel_name)

    async def disconnect(self, code):
        """Called when the socket closes; leaves every group."""
        for object_id in list(self.subscriptions):
            await self.channel_layer.group_discard(group_name(object_id), self.channel_name)
        self.subscriptions.clear()
        self.subscription_tokens.clear()
        logger.debug("Connection closed: %s (code %s)", self.channel_name, code)

    async def receive(self, text_data=None, bytes_data=None):
        """Called for each client frame; every problem gets an error frame in reply."""
        if self.flooding:
            return  # frames queued before the close get no reply and log nothing
        if bytes_data is not None:
            await self.send_error("binary_frame", "Binary frames are not supported; send JSON text frames.")
            return
        max_frame = shoutout_settings.MAX_FRAME_BYTES
        size = len(text_data) if text_data.isascii() else len(text_data.encode("utf-8", "surrogatepass"))
        if size > max_frame:
            await self.send_error(
                "frame_too_large",
                f"The frame is {size} bytes of UTF-8; the limit is {max_frame} bytes "
                "(setting SHOUTOUT['MAX_FRAME_BYTES']).",
                limit=max_frame,
            )
            return

        frame = None
        try:
            frame = protocol.parse(text_data)
            handler = getattr(self, f"handle_{frame.type}")
            await handler(frame)
        except ShoutOutError as exc:
            object_id = frame.id if frame is not None else None
            ref = frame.ref if frame is not None else exc.extra.pop("ref", None)
            extra = {k: v for k, v in exc.extra.items() if k != "ref"}
            await self.send_error(exc.code, exc.message, object_id, ref, **extra)
        except Exception:
            logger.exception("Handling a %s frame failed", frame.type if frame else "client")
            await self.send_error(
                "internal_error", "The server failed to handle this frame.",
                frame.id if frame else None, frame.ref if frame else None,
            )

    async def send_error(self, code, message, object_id=None, ref=None, **fields):
        """Send an error frame; close the socket when the client keeps sending rejected frames."""
        await self.send(text_data=frames.error(code, message, object_id, ref, **fields))
        if self.flood_guard.record():
            self.flooding = True
            logger.warning(
                "Closing connection %s: more than %d rejected frames in %.0f s",
                self.channel_name, self.flood_guard.limit, self.flood_guard.window,
            )
            await self.close(code=CLOSE_FLOODING)

    # Client frames.

    async def handle_subscribe(self, frame):
        object_id = frame.id
        if not is_valid_object_id(object_id):
            raise not_found(object_id)
        limit = shoutout_settings.MAX_SUBSCRIPTIONS_PER_CONNECTION
        if object_id not in self.subscriptions and len(self.subscriptions) >= limit:
            raise LimitExceeded(
                f"This connection holds {limit} subscriptions, the limit "
                "(setting SHOUTOUT['MAX_SUBSCRIPTIONS_PER_CONNECTION']); unsubscribe from one first.",
                code="too_many_subscriptions",
                limit=limit,
            )

        # Join the group before checking access and reading the snapshot.
        # An update landing in between is then not missed, because the
        # ordering filter drops only what the snapshot covers. A revocation
        # or grant change landing in between is not missed either, because
        # the access check comes after its event could have reached us.
        if object_id not in self.subscriptions:
            self.subscriptions[object_id] = _BEFORE_SNAPSHOT
            await self.channel_layer.group_add(group_name(object_id), self.channel_name)
        try:
            grant = await operations.aload(object_id, self.user, READ, token=frame.token)
            snapshot = await get_store().aget(object_id, operations.now())
            if snapshot is None:
                raise not_found(object_id)
        except (NotFound, TokenError):
            await self._drop_subscription(object_id)
            raise

        if grant.capability is not None:
            self.subscription_tokens[object_id] = frame.token
        else:
            self.subscription_tokens.pop(object_id, None)
        await self.send(text_data=frames.control("subscribed", object_id, frame.ref))
        if snapshot.update_id > self.subscriptions[object_id]:
            self.subscriptions[object_id] = snapshot.update_id
            await self.send(text_data=frames.snapshot(snapshot))

    async def handle_unsubscribe(self, frame):
        if frame.id in self.subscriptions:
            await self._drop_subscription(frame.id)
        await self.send(text_data=frames.control("unsubscribed", frame.id, frame.ref))

    async def handle_update(self, frame):
        await self._write(frame, "state")

    async def handle_message(self, frame):
        await self._write(frame, "message")

    async def handle_ping(self, frame):
        await self.send(text_data=frames.control("pong", ref=frame.ref))

    async def handle_auth(self, frame):
        user = await auth.user_for_token(frame.token)
        if user is None:
            raise NotAuthenticated("The DRF token is unknown or its user is inactive; the connection stays as it was.")
        self.user = user
        await self.send(text_data=frames.control("authenticated", ref=frame.ref, user=user.get_username()))

    async def _write(self, frame, kind):
        if not self.write_bucket.allow():
            rate = shoutout_settings.WRITE_RATE_PER_CONNECTION
            raise LimitExceeded(
                f"This connection sent more than {rate} update and message frames per second "
                "(setting SHOUTOUT['WRITE_RATE_PER_CONNECTION']); the frame was dropped.",
                code="rate_limited",
                limit=rate,
            )
        outcome = await operations.awrite(
            frame.id, kind, frame.value, update_id=frame.update_id, actor=self.user, token=frame.token
        )
        await self.send(
            text_data=frames.control("ack", frame.id, frame.ref, accepted_update_id=outcome.update_id)
        )

    async def _check_read_access(self, object_id):
        """End the subscription when neither the user nor its token may read the object any more.

        A revoked token ends it with a ``revoked`` frame; any other loss of
        access with a ``not_found`` error.
        """
        token = self.subscription_tokens.get(object_id)
        try:
            await operations.aload(object_id, self.user, READ, token=token)
        except TokenError as exc:
            await self._drop_subscription(object_id)
            if exc.code == "token_revoked":
                await self.send(text_data=frames.control("revoked", object_id))
            else:
                await self.send(text_data=frames.error(exc.code, exc.message, object_id))
        except NotFound as exc:
            await self._drop_subscription(object_id)
            await self.send(text_data=frames.error(exc.code, exc.message, object_id))

    async def _drop_subscription(self, object_id):
        self.subscriptions.pop(object_id, None)
        self.subscription_tokens.pop(object_id, None)
        await self.channel_layer.group_discard(group_name(object_id), self.channel_name)

    # Channel-layer events.

    async def shoutout_frame(self, event):
        """Called for each fan-out event of a subscribed object's group."""
        object_id = event["object_id"]
        last_sent = self.subscriptions.get(object_id)
        if last_sent is None:
            return  # unsubscribed while the event was queued

        if event["kind"] in ("expired", "deleted"):
            await self._drop_subscription(object_id)
            await self.send(text_data=event["text"])
            return

        if event["kind"] == "access":
            await self._check_read_access(object_id)
            return

        if event["update_id"] <= last_sent:
            return
        self.subscriptions[object_id] = event["update_id"]
        await self.send(text_data=event["text"])
