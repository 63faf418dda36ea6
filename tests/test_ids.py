import re

import pytest
from channels.layers import BaseChannelLayer

from shoutout.ids import (
    MAX_UPDATE_ID,
    group_name,
    is_valid_object_id,
    is_valid_update_id,
    new_object_id,
)

GROUP_RE = re.compile(r"[A-Za-z0-9_.-]+")

ODD_IDS = [
    "",
    "a" * 500,
    "é" * 30,
    "Grüße, 世界",
    "with space",
    "a/b",
    "/",
    "..",
    "../../etc",
    ".",
    "nul\x00byte",
    "\x00",
    "line\n",
    "tab\t",
    "\ud800",
    "emoji-\U0001f600",
    "a" * 81,
    "a" * 80,
    "A_b-1",
    "shoutout.h.x",
]


@pytest.mark.parametrize("object_id", ODD_IDS + [new_object_id()])
def test_group_name_uses_allowed_characters(object_id):
    assert GROUP_RE.fullmatch(group_name(object_id))


@pytest.mark.parametrize("object_id", ODD_IDS + [new_object_id()])
def test_group_name_is_under_100_characters(object_id):
    assert len(group_name(object_id)) < 100


@pytest.mark.parametrize("object_id", ODD_IDS + [new_object_id()])
def test_group_name_is_accepted_by_channel_layers(object_id):
    assert BaseChannelLayer().require_valid_group_name(group_name(object_id))


def test_group_names_of_distinct_ids_differ():
    ids = ODD_IDS + [new_object_id() for _ in range(10)] + ["a" * 500 + "b", "nul\x00", "nul"]
    names = {group_name(object_id) for object_id in ids}
    assert len(names) == len(set(ids))


def test_group_name_is_stable():
    assert group_name("a" * 500) == group_name("a" * 500)


def test_hashed_id_never_matches_plain_id():
    hashed = group_name("a b")
    digest = hashed.rsplit(".", 1)[1]
    assert group_name(digest) != hashed


def test_new_object_id_is_valid():
    assert is_valid_object_id(new_object_id())


def test_new_object_id_has_22_characters():
    assert len(new_object_id()) == 22


def test_new_object_ids_differ():
    assert len({new_object_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("value", ["", "short", "a" * 65, "a b" * 8, "a/" * 10, "." * 20, "é" * 22, None, 12])
def test_malformed_object_id_is_invalid(value):
    assert not is_valid_object_id(value)


def test_object_id_with_trailing_newline_is_invalid():
    assert not is_valid_object_id(new_object_id() + "\n")


@pytest.mark.parametrize("value", [1, 2, MAX_UPDATE_ID])
def test_update_id_in_range_is_valid(value):
    assert is_valid_update_id(value)


@pytest.mark.parametrize("value", [0, -1, MAX_UPDATE_ID + 1, True, 1.0, "1", None])
def test_update_id_out_of_range_or_type_is_invalid(value):
    assert not is_valid_update_id(value)
