import math

import pytest
from django.test import override_settings

from shoutout import payloads
from shoutout.errors import InvalidPayload


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_validate_returns_compact_json():
    assert payloads.validate({"a": [1, 2], "b": "x"}) == '{"a":[1,2],"b":"x"}'


def test_validate_keeps_non_ascii_text():
    assert payloads.validate("Grüße") == '"Grüße"'


@pytest.mark.parametrize("value", [None, True, 0, "", [], {}])
def test_scalars_and_empty_containers_are_valid(value):
    assert isinstance(payloads.validate(value), str)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"a": [math.nan]}])
def test_non_finite_number_is_rejected(value):
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(value)
    assert info.value.code == "invalid_json"


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", {"a": object()}])
def test_value_json_cannot_hold_is_rejected(value):
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(value)
    assert info.value.code == "invalid_json"


@pytest.mark.parametrize(("value", "depth"), [(1, 0), ([], 1), ({"a": 1}, 1), ({"a": [1]}, 2), (nested(5), 5)])
def test_measure_depth(value, depth):
    assert payloads.measure_depth(value) == depth


def test_depth_at_limit_is_valid():
    assert payloads.validate(nested(32))


def test_depth_over_limit_is_rejected():
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(nested(33))
    assert info.value.code == "payload_too_deep"
    assert info.value.extra["limit"] == 32


def test_very_deep_value_is_rejected_without_recursion_error():
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(nested(100_000))
    assert info.value.code == "payload_too_deep"


def test_depth_error_names_field():
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(nested(40), field="payload")
    assert "'payload'" in info.value.message


@override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_BYTES": 100})
def test_size_at_limit_is_valid():
    assert len(payloads.validate("x" * 98)) == 100


@override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_BYTES": 100})
def test_size_over_limit_is_rejected():
    with pytest.raises(InvalidPayload) as info:
        payloads.validate("x" * 99)
    assert info.value.code == "payload_too_large"
    assert info.value.extra["limit"] == 100
    assert "100 bytes" in info.value.message


@override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_BYTES": 100})
def test_size_counts_utf8_bytes():
    with pytest.raises(InvalidPayload) as info:
        payloads.validate("é" * 60)
    assert info.value.code == "payload_too_large"


@pytest.mark.parametrize("value", ["\ud800", {"a": "x\udfff"}, {"\ud83d": 1}])
def test_lone_surrogate_is_rejected(value):
    with pytest.raises(InvalidPayload) as info:
        payloads.validate(value)
    assert info.value.code == "invalid_json"


def test_surrogate_pair_as_one_character_is_valid():
    assert payloads.validate("\U0001f600") == '"\U0001f600"'


def test_invalid_payload_is_a_value_error():
    with pytest.raises(ValueError):
        payloads.validate(math.nan)
