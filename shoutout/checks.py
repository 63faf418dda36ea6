"""System checks for configurations that break or weaken ShoutOut.

Each id is stable and documented in ``docs/checks.md``.
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from rest_framework.throttling import SimpleRateThrottle

from shoutout.conf import DEFAULTS, shoutout_settings
from shoutout.models import Security
from shoutout.origins import normalize_origin

SINGLE_PROCESS_LAYER = "channels.layers.InMemoryChannelLayer"
SINGLE_PROCESS_STORE = "shoutout.store.memory.MemoryStore"


@checks.register()
def check_dependencies(app_configs=None, **kwargs):
    errors = []
    for app, check_id in (("channels", "shoutout.E001"), ("rest_framework", "shoutout.E002")):
        if not apps.is_installed(app):
            errors.append(
                checks.Error(
                    f"'{app}' is not in INSTALLED_APPS; ShoutOut needs it.",
                    hint=f"Add '{app}' to INSTALLED_APPS.",
                    id=check_id,
                )
            )
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    alias = shoutout_settings.CHANNEL_LAYER
    if alias not in layers:
        errors.append(
            checks.Error(
                f"CHANNEL_LAYERS has no {alias!r} layer, so receivers get no live updates.",
                hint="Configure CHANNEL_LAYERS (channels_redis.core.RedisChannelLayer for several "
                "processes), or set SHOUTOUT['CHANNEL_LAYER'] to an existing alias.",
                id="shoutout.E003",
            )
        )
    return errors


@checks.register(checks.Tags.compatibility)
def check_single_process_backends(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    warnings = []
    layer = (getattr(settings, "CHANNEL_LAYERS", {}) or {}).get(shoutout_settings.CHANNEL_LAYER, {})
    if layer.get("BACKEND") == SINGLE_PROCESS_LAYER:
        warnings.append(
            checks.Warning(
                "The channel layer is in-memory: receivers connected to one server process "
                "miss updates sent from another.",
                hint="Use channels_redis.core.RedisChannelLayer when more than one process serves requests.",
                id="shoutout.W001",
            )
        )
    if shoutout_settings.STORE == SINGLE_PROCESS_STORE:
        warnings.append(
            checks.Warning(
                "The state store is in-memory: each server process holds its own objects, "
                "and all of them are lost on restart.",
                hint="Set SHOUTOUT['STORE'] = 'shoutout.store.redis.RedisStore' when more than one "
                "process serves requests.",
                id="shoutout.W002",
            )
        )
    return warnings


def _positive_int(name):
    value = getattr(shoutout_settings, name)
    return not isinstance(value, bool) and isinstance(value, int) and value > 0


@checks.register()
def check_settings(app_configs=None, **kwargs):
    errors = []
    unknown = sorted(set(shoutout_settings.user_settings()) - set(DEFAULTS))
    if unknown:
        errors.append(
            checks.Error(
                f"SHOUTOUT has unknown keys: {', '.join(unknown)}.",
                hint="Check the spelling against docs/settings.md.",
                id="shoutout.E004",
            )
        )

    positive = (
        "DEFAULT_TTL", "MAX_TTL", "MAX_PAYLOAD_BYTES", "MAX_PAYLOAD_DEPTH", "MAX_FRAME_BYTES",
        "MAX_SUBSCRIPTIONS_PER_CONNECTION", "WRITE_RATE_PER_CONNECTION", "MAX_REJECTED_FRAMES",
    )
    if shoutout_settings.MAX_LIVE_OBJECTS_PER_USER is not None:
        positive += ("MAX_LIVE_OBJECTS_PER_USER",)
    for name in positive:
        if not _positive_int(name):
            errors.append(
                checks.Error(
                    f"SHOUTOUT['{name}'] must be a positive integer, got {getattr(shoutout_settings, name)!r}.",
                    id="shoutout.E005",
                )
            )

    interval = shoutout_settings.EXPIRY_SWEEP_INTERVAL
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval >= 0:
        errors.append(
            checks.Error(
                f"SHOUTOUT['EXPIRY_SWEEP_INTERVAL'] must be a number of seconds, 0 or more, got {interval!r}; "
                "a negative interval would make the sweeper loop without pause.",
                hint="Use 0 to turn the sweeper off and run manage.py shoutout_expire instead.",
                id="shoutout.E009",
            )
        )

    ttls_valid = _positive_int("DEFAULT_TTL") and _positive_int("MAX_TTL")
    if ttls_valid and shoutout_settings.DEFAULT_TTL > shoutout_settings.MAX_TTL:
        errors.append(
            checks.Error(
                f"SHOUTOUT['DEFAULT_TTL'] ({shoutout_settings.DEFAULT_TTL}) is greater than "
                f"SHOUTOUT['MAX_TTL'] ({shoutout_settings.MAX_TTL}), so objects created without a TTL are rejected.",
                id="shoutout.E006",
            )
        )

    if shoutout_settings.DEFAULT_SECURITY not in Security.values:
        errors.append(
            checks.Error(
                f"SHOUTOUT['DEFAULT_SECURITY'] is {shoutout_settings.DEFAULT_SECURITY!r}; "
                f"expected one of {', '.join(Security.values)}.",
                id="shoutout.E007",
            )
        )

    for name in ("STORE", "POLICY"):
        try:
            import_string(getattr(shoutout_settings, name))
        except ImportError as exc:
            errors.append(
                checks.Error(
                    f"SHOUTOUT['{name}'] cannot be imported: {exc}.",
                    hint="Give the dotted path of a class.",
                    id="shoutout.E008",
                )
            )

    return errors


@checks.register()
def check_limits(app_configs=None, **kwargs):
    errors = []
    rate = shoutout_settings.CREATE_RATE
    if rate is not None:
        try:
            num, _ = SimpleRateThrottle.parse_rate(None, rate)
            valid = num > 0
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            errors.append(
                checks.Error(
                    f"SHOUTOUT['CREATE_RATE'] is {rate!r}; expected a DRF rate such as '60/min', or None.",
                    id="shoutout.E010",
                )
            )
    origins = shoutout_settings.ALLOWED_ORIGINS
    bad = [o for o in origins if not isinstance(o, str) or normalize_origin(o) is None] if isinstance(
        origins, (list, tuple)
    ) else [origins]
    if bad:
        errors.append(
            checks.Error(
                f"SHOUTOUT['ALLOWED_ORIGINS'] has entries that are not origins: {bad[:5]!r}.",
                hint="List origins as scheme://host[:port], for example 'https://app.example.com'.",
                id="shoutout.E011",
            )
        )
    if shoutout_settings.MAX_FRAME_BYTES is not None and _positive_int("MAX_FRAME_BYTES") and _positive_int(
        "MAX_PAYLOAD_BYTES"
    ) and shoutout_settings.MAX_FRAME_BYTES < shoutout_settings.MAX_PAYLOAD_BYTES:
        errors.append(
            checks.Warning(
                "SHOUTOUT['MAX_FRAME_BYTES'] is smaller than SHOUTOUT['MAX_PAYLOAD_BYTES'], so WebSocket "
                "writers cannot send payloads that REST accepts.",
                hint="Set MAX_FRAME_BYTES to at least MAX_PAYLOAD_BYTES plus a few hundred bytes.",
                id="shoutout.W006",
            )
        )
    return errors


@checks.register(checks.Tags.security)
def check_security(app_configs=None, **kwargs):
    warnings = []
    if shoutout_settings.DEFAULT_SECURITY == Security.PUBLIC:
        warnings.append(
            checks.Warning(
                "SHOUTOUT['DEFAULT_SECURITY'] is 'public': every object created without a security "
                "setting can be read by anyone who learns its id.",
                hint="Use 'private' or 'authenticated' and pass security='public' where it is meant.",
                id="shoutout.W003",
            )
        )
    if shoutout_settings.ALLOW_ANONYMOUS_CREATE and not settings.DEBUG:
        warnings.append(
            checks.Warning(
                "SHOUTOUT['ALLOW_ANONYMOUS_CREATE'] is on in production (DEBUG = False): anyone can "
                "create objects, limited only by SHOUTOUT['CREATE_RATE'] per client address.",
                hint="Turn it off unless anonymous senders are intended.",
                id="shoutout.W004",
            )
        )
    route = _websocket_route()
    if route == "unchecked":
        warnings.append(
            checks.Warning(
                "The WebSocket route of ASGI_APPLICATION has no origin validation: any web site can "
                "open a socket with a visitor's session cookie and read what that visitor may read.",
                hint="Route WebSockets through shoutout.routing.websocket_application(), or wrap them "
                "in shoutout.origins.OriginValidator or Channels' AllowedHostsOriginValidator.",
                id="shoutout.W005",
            )
        )
    elif route in ("no_setting", "none"):
        problem = "is not set" if route == "no_setting" else f"({settings.ASGI_APPLICATION}) routes no WebSockets"
        warnings.append(
            checks.Warning(
                f"ASGI_APPLICATION {problem}, so WebSocket clients cannot reach ShoutOut's consumer.",
                hint="Point ASGI_APPLICATION at a ProtocolTypeRouter whose 'websocket' entry is "
                "shoutout.routing.websocket_application(); see docs/quickstart.md.",
                id="shoutout.W007",
            )
        )
    if settings.DEBUG and not apps.is_installed("daphne"):
        warnings.append(
            checks.Warning(
                "'daphne' is not in INSTALLED_APPS, so manage.py runserver serves plain HTTP and "
                "WebSocket handshakes get 404.",
                hint="Put 'daphne' first in INSTALLED_APPS, or run an ASGI server such as daphne or uvicorn.",
                id="shoutout.W008",
            )
        )
    return warnings


def _websocket_route() -> str:
    """Return how ASGI_APPLICATION routes WebSockets.

    ``no_setting``: ASGI_APPLICATION is unset. ``none``: the application
    routes no WebSockets. ``checked`` or ``unchecked``: an origin validator
    does or does not wrap the route. ``unknown``: the application cannot be
    imported, so nothing is reported.
    """
    from channels.routing import ProtocolTypeRouter
    from channels.security.websocket import OriginValidator as ChannelsOriginValidator
    from django.core.handlers.asgi import ASGIHandler

    from shoutout.origins import OriginValidator

    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        return "no_setting"
    try:
        app = import_string(path)
    except Exception:  # an unimportable ASGI app is reported by Django and Channels
        return "unknown"
    for _ in range(50):
        if isinstance(app, (OriginValidator, ChannelsOriginValidator)):
            return "checked"
        if isinstance(app, ASGIHandler):
            return "none"
        if isinstance(app, ProtocolTypeRouter):
            app = app.application_mapping.get("websocket")
            if app is None:
                return "none"
            continue
        app = getattr(app, "application", None) or getattr(app, "inner", None) or getattr(app, "app", None)
        if app is None:
            return "unchecked"
    return "unchecked"
    return "unchecked"
