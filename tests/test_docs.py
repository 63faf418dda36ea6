"""The reference docs list every setting, system check id and error code the code defines."""

import re
from pathlib import Path

import pytest

from shoutout import checks, errors
from shoutout.conf import DEFAULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHECK_ID_RE = re.compile(r"shoutout\.[EW]\d{3}")


def read_doc(name):
    return (DOCS / name).read_text(encoding="utf-8")


def check_ids():
    source = Path(checks.__file__).read_text(encoding="utf-8")
    return sorted(set(CHECK_ID_RE.findall(source)))


def test_check_ids_found_in_source():
    assert check_ids(), "no shoutout.E/W ids found in shoutout/checks.py"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_setting_documented(key):
    assert f"`{key}`" in read_doc("settings.md"), f"SHOUTOUT['{key}'] is missing from docs/settings.md"


@pytest.mark.parametrize("check_id", check_ids())
def test_check_id_documented(check_id):
    assert check_id in read_doc("checks.md"), f"{check_id} is missing from docs/checks.md"


@pytest.mark.parametrize("code", sorted(errors.HTTP_STATUS))
def test_error_code_documented(code):
    assert f"`{code}`" in read_doc("errors.md"), f"error code {code!r} is missing from docs/errors.md"
