"""Each system check id, triggered by the misconfiguration it names."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

import shoutout.checks

REDIS_LAYER = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS_STORE = {"EXPIRY_SWEEP_INTERVAL": 0, "STORE": "shoutout.store.redis.RedisStore"}


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


def test_every_check_id_is_tested_here():
    defined = set(re.findall(r'"(shoutout\.[EW]\d{3})"', Path(shoutout.checks.__file__).read_text()))
    tested = set(re.findall(r'"(shoutout\.[EW]\d{3})"', Path(__file__).read_text()))
    assert sorted(defined - tested) == []
