"""The reference docs list every setting, system check id and error code the code defines."""

import re
from pathlib import Path

import pytest

from shoutout import checks, errors
from shoutout.conf import DEFAULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHECK_ID_RE = re.compile(r"shoutout\.[EW]\d{3}")
# A setting named in prose or code: SHOUTOUT['KEY'] or SHOUTOUT["KEY"].
SETTING_REFERENCE_RE = re.compile(r"""SHOUTOUT\[['"]([A-Z][A-Z0-9_]*)['"]\]""")
# The first cell of a settings table row: | `KEY` | ...
TABLE_KEY_RE = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)
SETTING_HEADING_RE = re.compile(r"^### `([A-Z][A-Z0-9_]*)`$", re.MULTILINE)


def read_doc(name):
    return (DOCS / name).read_text(encoding="utf-8")


def check_ids():
    source = Path(checks.__file__).read_text(encoding="utf-8")
    return sorted(set(CHECK_ID_RE.findall(source)))


def section(text, heading):
    """Return the text under a ``## heading`` line, up to the next ``## `` heading."""
    parts = text.split(f"\n## {heading}\n", 1)
    if len(parts) < 2:
        return ""
    return parts[1].split("\n## ", 1)[0]


def setting_section(key):
    """Return the text under ``### `KEY``` in docs/settings.md, up to the next heading."""
    parts = read_doc("settings.md").split(f"\n### `{key}`\n", 1)
    if len(parts) < 2:
        return ""
    return re.split(r"\n##+ ", parts[1], maxsplit=1)[0]


def security_table_keys():
    return TABLE_KEY_RE.findall(section(read_doc("security.md"), "Settings"))


def settings_named_in_security():
    text = read_doc("security.md")
    return sorted(set(SETTING_REFERENCE_RE.findall(text)) | set(security_table_keys()))


def test_check_ids_found_in_source():
    assert check_ids(), "no shoutout.E/W ids found in shoutout/checks.py"


def test_security_settings_table_found():
    assert security_table_keys(), "docs/security.md has no '## Settings' table with `KEY` rows"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_setting_documented(key):
    assert f"`{key}`" in read_doc("settings.md"), f"SHOUTOUT['{key}'] is missing from docs/settings.md"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_setting_has_section_with_default(key):
    assert "Default" in setting_section(key), (
        f"docs/settings.md has no '### `{key}`' section that states the default"
    )


@pytest.mark.parametrize("key", SETTING_HEADING_RE.findall(read_doc("settings.md")))
def test_documented_setting_exists(key):
    assert key in DEFAULTS, f"docs/settings.md documents {key}, which shoutout/conf.py DEFAULTS lacks"


@pytest.mark.parametrize("key", settings_named_in_security())
def test_security_setting_in_settings_doc(key):
    assert setting_section(key), (
        f"docs/security.md names SHOUTOUT['{key}'], which has no '### `{key}`' section in docs/settings.md"
    )


@pytest.mark.parametrize("check_id", check_ids())
def test_check_id_documented(check_id):
    assert check_id in read_doc("checks.md"), f"{check_id} is missing from docs/checks.md"


@pytest.mark.parametrize("code", sorted(errors.HTTP_STATUS))
def test_error_code_documented(code):
    assert f"`{code}`" in read_doc("errors.md"), f"error code {code!r} is missing from docs/errors.md"
