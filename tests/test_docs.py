"""The documentation stays complete: every setting and every error type is documented."""

from __future__ import annotations

from pathlib import Path

from plaudit import errors
from plaudit.config import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented_with_its_variable() -> None:
    text = (DOCS / "operations.md").read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text or s.env_var not in text]
    assert missing == [], f"document these settings in docs/operations.md: {missing}"


def test_every_error_type_is_documented() -> None:
    text = (DOCS / "api.md").read_text()
    kinds = [
        obj.type
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, errors.PlauditError)
    ]
    missing = [kind for kind in kinds if f"`{kind}`" not in text]
    assert missing == [], f"document these error types in docs/api.md: {missing}"
