"""Settings of the ``SHOUTOUT`` namespace, read at call time.

Every property reads ``settings.SHOUTOUT`` anew, so ``override_settings`` works
in tests. The defaults and units are documented in ``docs/settings.md``.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Seconds an object lives after its creation or its last write.
    "DEFAULT_TTL": 3600,
    # Upper bound in seconds for any TTL a sender requests.
    "MAX_TTL": 86400,
    # Security value of objects created without one: "private" or "public".
    "DEFAULT_SECURITY": "private",
    # Whether anonymous users may create objects.
    "ALLOW_ANONYMOUS_CREATE": False,
    # Whether staff users may read objects they are not granted.
    "STAFF_MAY_READ": True,
    # Whether staff users may write objects they are not granted.
    "STAFF_MAY_WRITE": False,
    # Origins ("https://app.example.com:8443") allowed to open WebSockets
    # besides the request's own origin on a host in ALLOWED_HOSTS.
    "ALLOWED_ORIGINS": [],
    # Live objects one user may own at once; None for no limit.
    "MAX_LIVE_OBJECTS_PER_USER": 1000,
    # Subscriptions one WebSocket connection may hold at once.
    "MAX_SUBSCRIPTIONS_PER_CONNECTION": 100,
    # Object creations per user through the REST API, as a DRF throttle rate.
    "CREATE_RATE": "60/min",
    # Update and message frames one WebSocket connection may send per second.
    "WRITE_RATE_PER_CONNECTION": 50,
    # Rejected frames (over a limit or invalid) within 10 seconds after which
    # the server closes a flooding connection with code 4008.
    "MAX_REJECTED_FRAMES": 50,
    # Bytes of compact UTF-8 JSON allowed for one state or message payload.
    "MAX_PAYLOAD_BYTES": 64 * 1024,
    # Nesting depth allowed in a payload (a flat object has depth 1).
    "MAX_PAYLOAD_DEPTH": 32,
    # Characters allowed in one WebSocket text frame from a client.
    "MAX_FRAME_BYTES": 128 * 1024,
    # Dotted path of the state store class and its keyword options.
    "STORE": "shoutout.store.memory.MemoryStore",
    "STORE_OPTIONS": {},
    # Dotted path of the access policy class.
    "POLICY": "shoutout.policy.DefaultPolicy",
    # Channel layer alias used for fan-out.
    "CHANNEL_LAYER": "default",
    # Seconds between two sweeps for expired objects in each server process.
    "EXPIRY_SWEEP_INTERVAL": 1.0,
    # Path (or absolute ws:// or wss:// URL) the JS client connects to; it must
    # match where the project routes shoutout.routing.websocket_urlpatterns.
    "WEBSOCKET_URL": "/ws/shoutout/",
}


class ShoutOutSettings:
    """Typed access to ``settings.SHOUTOUT`` with defaults."""

    def _get(self, name):
        overrides = getattr(django_settings, "SHOUTOUT", {}) or {}
        return overrides.get(name, DEFAULTS[name])

    def user_settings(self):
        """Return the keys the project set, for the system checks."""
        return dict(getattr(django_settings, "SHOUTOUT", {}) or {})

    @property
    def DEFAULT_TTL(self) -> int:
        return self._get("DEFAULT_TTL")

    @property
    def MAX_TTL(self) -> int:
        return self._get("MAX_TTL")

    @property
    def DEFAULT_SECURITY(self) -> str:
        return self._get("DEFAULT_SECURITY")

    @property
    def ALLOW_ANONYMOUS_CREATE(self) -> bool:
        return self._get("ALLOW_ANONYMOUS_CREATE")

    @property
    def STAFF_MAY_WRITE(self) -> bool:
        return self._get("STAFF_MAY_WRITE")

    @property
    def MAX_PAYLOAD_BYTES(self) -> int:
        return self._get("MAX_PAYLOAD_BYTES")

    @property
    def MAX_PAYLOAD_DEPTH(self) -> int:
        return self._get("MAX_PAYLOAD_DEPTH")

    @property
    def MAX_FRAME_BYTES(self) -> int:
        return self._get("MAX_FRAME_BYTES")

    @property
    def STORE(self) -> str:
        return self._get("STORE")

    @property
    def STORE_OPTIONS(self) -> dict:
        return self._get("STORE_OPTIONS")

    @property
    def POLICY(self) -> str:
        return self._get("POLICY")

    @property
    def CHANNEL_LAYER(self) -> str:
        return self._get("CHANNEL_LAYER")

    @property
    def EXPIRY_SWEEP_INTERVAL(self) -> float:
        return self._get("EXPIRY_SWEEP_INTERVAL")

    @property
    def WEBSOCKET_URL(self) -> str:
        return self._get("WEBSOCKET_URL")

    @property
    def STAFF_MAY_READ(self) -> bool:
        return self._get("STAFF_MAY_READ")

    @property
    def ALLOWED_ORIGINS(self) -> list:
        return self._get("ALLOWED_ORIGINS")

    @property
    def MAX_LIVE_OBJECTS_PER_USER(self):
        return self._get("MAX_LIVE_OBJECTS_PER_USER")

    @property
    def MAX_SUBSCRIPTIONS_PER_CONNECTION(self) -> int:
        return self._get("MAX_SUBSCRIPTIONS_PER_CONNECTION")

    @property
    def CREATE_RATE(self):
        return self._get("CREATE_RATE")

    @property
    def WRITE_RATE_PER_CONNECTION(self) -> int:
        return self._get("WRITE_RATE_PER_CONNECTION")

    @property
    def MAX_REJECTED_FRAMES(self) -> int:
        return self._get("MAX_REJECTED_FRAMES")


shoutout_settings = ShoutOutSettings()
