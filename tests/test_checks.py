"""Each system check id, triggered by the misconfiguration it names."""

import re
from pathlib import Path

import pytest
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

import shoutout.checks
import shoutout.routing

REDIS_LAYER = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS_STORE = {"EXPIRY_SWEEP_INTERVAL": 0, "STORE": "shoutout.store.redis.RedisStore"}
# A WebSocket route behind Channels' own origin validator, for shoutout.W005.
CHANNELS_VALIDATED = AllowedHostsOriginValidator(URLRouter(shoutout.routing.websocket_urlpatterns))


def shoutout_check_ids():
    return [message.id for message in run_checks() if message.id and message.id.startswith("shoutout.")]


def production(**shoutout):
    """Settings of a multi-process deployment plus ``shoutout`` overrides."""
    return override_settings(DEBUG=False, CHANNEL_LAYERS=REDIS_LAYER, SHOUTOUT={**REDIS_STORE, **shoutout})


def without_app(name):
    return override_settings(INSTALLED_APPS=[app for app in settings.INSTALLED_APPS if app != name])


def test_clean_config_has_no_messages():
    with production():
        assert shoutout_check_ids() == []


def test_debug_config_has_no_messages():
    with override_settings(DEBUG=True, CHANNEL_LAYERS=MEMORY_LAYER, SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0}):
        assert shoutout_check_ids() == []


def test_missing_channels_is_e001():
    with production(), without_app("channels"):
        assert shoutout_check_ids() == ["shoutout.E001"]


def test_missing_rest_framework_is_e002():
    with production(), without_app("rest_framework"):
        assert shoutout_check_ids() == ["shoutout.E002"]


def test_missing_channel_layers_is_e003():
    with production(), override_settings(CHANNEL_LAYERS={}):
        assert shoutout_check_ids() == ["shoutout.E003"]


def test_unknown_channel_layer_alias_is_e003():
    with production(CHANNEL_LAYER="shoutout"):
        assert shoutout_check_ids() == ["shoutout.E003"]


def test_in_memory_layer_is_w001():
    with production(), override_settings(CHANNEL_LAYERS=MEMORY_LAYER):
        assert shoutout_check_ids() == ["shoutout.W001"]


def test_in_memory_store_is_w002():
    with production(STORE="shoutout.store.memory.MemoryStore"):
        assert shoutout_check_ids() == ["shoutout.W002"]


def test_default_store_is_w002():
    with override_settings(DEBUG=False, CHANNEL_LAYERS=REDIS_LAYER, SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0}):
        assert shoutout_check_ids() == ["shoutout.W002"]


def test_unknown_key_is_e004():
    with production(MAX_TTLS=60):
        assert shoutout_check_ids() == ["shoutout.E004"]


@pytest.mark.parametrize(
    "name", ["DEFAULT_TTL", "MAX_TTL", "MAX_PAYLOAD_BYTES", "MAX_PAYLOAD_DEPTH", "MAX_FRAME_BYTES"]
)
@pytest.mark.parametrize("value", [0, -1, "64k", 1.5, True, None])
def test_invalid_limit_is_e005(name, value):
    with production(**{name: value}):
        assert shoutout_check_ids() == ["shoutout.E005"]


def test_default_ttl_over_max_is_e006():
    with production(DEFAULT_TTL=600, MAX_TTL=60):
        assert shoutout_check_ids() == ["shoutout.E006"]


def test_default_ttl_over_max_is_reported_with_unknown_key():
    with production(DEFAULT_TTL=600, MAX_TTL=60, MAX_TTLS=60):
        assert shoutout_check_ids() == ["shoutout.E004", "shoutout.E006"]


def test_invalid_default_security_is_e007():
    with production(DEFAULT_SECURITY="secret"):
        assert shoutout_check_ids() == ["shoutout.E007"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("STORE", "shoutout.store.missing.Store"),
        ("STORE", "shoutout.store.redis.Missing"),
        ("POLICY", "shoutout.policy.MissingPolicy"),
    ],
)
def test_unimportable_class_is_e008(name, path):
    with production(**{name: path}):
        assert shoutout_check_ids() == ["shoutout.E008"]


@pytest.mark.parametrize("interval", [-1, "1", None, True])
def test_invalid_sweep_interval_is_e009(interval):
    with production(EXPIRY_SWEEP_INTERVAL=interval):
        assert shoutout_check_ids() == ["shoutout.E009"]


def test_zero_sweep_interval_is_accepted():
    with production(EXPIRY_SWEEP_INTERVAL=0):
        assert shoutout_check_ids() == []


def test_check_messages_name_the_setting():
    with production(MAX_PAYLOAD_BYTES=0):
        messages = [m for m in run_checks() if m.id == "shoutout.E005"]
    assert "MAX_PAYLOAD_BYTES" in messages[0].msg


@pytest.mark.parametrize(
    "name", ["MAX_SUBSCRIPTIONS_PER_CONNECTION", "WRITE_RATE_PER_CONNECTION", "MAX_REJECTED_FRAMES"]
)
@pytest.mark.parametrize("value", [0, -1, "20", 1.5, True, None])
def test_invalid_connection_limit_is_e005(name, value):
    with production(**{name: value}):
        assert shoutout_check_ids() == ["shoutout.E005"]


@pytest.mark.parametrize("value", [0, -1, "1000", 1.5, True])
def test_invalid_live_object_limit_is_e005(value):
    with production(MAX_LIVE_OBJECTS_PER_USER=value):
        assert shoutout_check_ids() == ["shoutout.E005"]


def test_live_object_limit_none_is_accepted():
    with production(MAX_LIVE_OBJECTS_PER_USER=None):
        assert shoutout_check_ids() == []


def test_e005_names_the_new_limit():
    with production(WRITE_RATE_PER_CONNECTION=0):
        messages = [m for m in run_checks() if m.id == "shoutout.E005"]
    assert "WRITE_RATE_PER_CONNECTION" in messages[0].msg


# Security checks.


def test_public_default_security_is_w003():
    with production(DEFAULT_SECURITY="public"):
        assert shoutout_check_ids() == ["shoutout.W003"]


@pytest.mark.parametrize("security", ["private", "authenticated"])
def test_non_public_default_security_has_no_w003(security):
    with production(DEFAULT_SECURITY=security):
        assert shoutout_check_ids() == []


def test_anonymous_create_in_production_is_w004():
    with production(ALLOW_ANONYMOUS_CREATE=True):
        assert shoutout_check_ids() == ["shoutout.W004"]


def test_anonymous_create_under_debug_has_no_w004():
    with override_settings(DEBUG=True, SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "ALLOW_ANONYMOUS_CREATE": True}):
        assert "shoutout.W004" not in shoutout_check_ids()


@pytest.mark.parametrize(
    "path", ["tests.asgi_without_origin.application", "tests.asgi_without_origin.bare_router"]
)
def test_websocket_route_without_origin_validator_is_w005(path):
    with production(), override_settings(ASGI_APPLICATION=path):
        assert shoutout_check_ids() == ["shoutout.W005"]


def test_w005_is_a_security_warning_under_debug_too():
    with override_settings(DEBUG=True, ASGI_APPLICATION="tests.asgi_without_origin.application"):
        assert shoutout_check_ids() == ["shoutout.W005"]


def test_example_project_application_has_no_w005():
    with production(), override_settings(ASGI_APPLICATION="example_project.asgi.application"):
        assert shoutout_check_ids() == []


def test_channels_origin_validator_has_no_w005():
    with production(), override_settings(ASGI_APPLICATION=f"{__name__}.CHANNELS_VALIDATED"):
        assert shoutout_check_ids() == []


def test_unimportable_application_has_no_w005():
    with production(), override_settings(ASGI_APPLICATION="tests.missing_module.application"):
        assert shoutout_check_ids() == []


@pytest.mark.parametrize(
    "path",
    [None, "tests.asgi_without_origin.django_only", "tests.asgi_without_origin.http_only_router"],
)
def test_application_without_websocket_route_is_w007(path):
    with production(), override_settings(ASGI_APPLICATION=path):
        assert shoutout_check_ids() == ["shoutout.W007"]


def test_debug_without_daphne_is_w008():
    apps_without_daphne = [app for app in settings.INSTALLED_APPS if app != "daphne"]
    with override_settings(DEBUG=True, INSTALLED_APPS=apps_without_daphne):
        assert shoutout_check_ids() == ["shoutout.W008"]


def test_production_without_daphne_has_no_w008():
    apps_without_daphne = [app for app in settings.INSTALLED_APPS if app != "daphne"]
    with production(), override_settings(INSTALLED_APPS=apps_without_daphne):
        assert shoutout_check_ids() == []


# Limits.


def test_frame_limit_under_payload_limit_is_w006():
    with production(MAX_FRAME_BYTES=1000, MAX_PAYLOAD_BYTES=2000):
        assert shoutout_check_ids() == ["shoutout.W006"]


def test_frame_limit_equal_to_payload_limit_has_no_w006():
    with production(MAX_FRAME_BYTES=2000, MAX_PAYLOAD_BYTES=2000):
        assert shoutout_check_ids() == []


@pytest.mark.parametrize("rate", ["fast", "0/min", "-1/min", "1.5/min", "10/fortnight", "1/", "", "1/min/2", 60])
def test_invalid_create_rate_is_e010(rate):
    with production(CREATE_RATE=rate):
        assert shoutout_check_ids() == ["shoutout.E010"]


@pytest.mark.parametrize("rate", ["1/s", "60/min", "1000/hour", "5/day", None])
def test_valid_create_rate_is_accepted(rate):
    with production(CREATE_RATE=rate):
        assert shoutout_check_ids() == []


@pytest.mark.parametrize(
    "origins",
    [
        ["app.example.com"],
        ["https://app.example.com/path"],
        ["ftp://app.example.com"],
        ["https://"],
        [None],
        "https://app.example.com",
        None,
    ],
)
def test_invalid_allowed_origins_is_e011(origins):
    with production(ALLOWED_ORIGINS=origins):
        assert shoutout_check_ids() == ["shoutout.E011"]


@pytest.mark.parametrize(
    "origins",
    [[], ["https://app.example.com"], ["http://localhost:8000", "https://[::1]:8443"], ("wss://app.example.com",)],
)
def test_valid_allowed_origins_is_accepted(origins):
    with production(ALLOWED_ORIGINS=origins):
        assert shoutout_check_ids() == []


def test_every_check_id_is_tested_here():
    defined = set(re.findall(r'"(shoutout\.[EW]\d{3})"', Path(shoutout.checks.__file__).read_text()))
    tested = set(re.findall(r'"(shoutout\.[EW]\d{3})"', Path(__file__).read_text()))
    assert sorted(defined - tested) == []
