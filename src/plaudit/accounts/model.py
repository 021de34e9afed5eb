"""Account and profile values, and the validation rules for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plaudit.errors import InvalidInput

__all__ = [
    "ACCOUNT_KINDS",
    "CITY_TIERS",
    "GENDERS",
    "PROFILE_FIELDS",
    "SELF_SERVICE_KINDS",
    "SPENDING_BANDS",
    "Account",
    "Profile",
    "validate_handle",
    "validate_kind",
    "validate_profile",
]

# gateway: a trusted ingest service (bulk endpoint); operator: runs the platform (reviews
# appeals, counts exactly for debugging). Both are created by operators only, with the CLI.
ACCOUNT_KINDS = ("fan", "creator", "brand", "gateway", "operator")
SELF_SERVICE_KINDS = ("fan", "creator")
GENDERS = ("female", "male", "other", "undisclosed")
CITY_TIERS = ("new1", "1", "2", "3", "4", "5")
# Self-declared monthly spending in CNY; the band names are the lower..upper bound.
SPENDING_BANDS = ("0-1000", "1000-3000", "3000-5000", "5000-10000", "10000+")
PROFILE_FIELDS = frozenset(
    {
        "birth_year",
        "gender",
        "province",
        "city",
        "city_tier",
        "spending_band",
        "consent_personalisation",
        "consent_targeting",
    }
)
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$")


@dataclass(frozen=True)
class Account:
    id: int
    handle: str
    kind: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True)
class Profile:
    account_id: int
    birth_year: int | None
    gender: str | None
    province: str | None
    city: str | None
    city_tier: str | None
    spending_band: str | None
    consent_personalisation: bool
    consent_targeting: bool


def validate_handle(handle: str) -> str:
    if not _HANDLE.fullmatch(handle):
        raise InvalidInput(
            f"handle {handle!r} is not valid: use 3 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
            field="handle",
        )
    return handle


def validate_kind(kind: str) -> str:
    if kind not in ACCOUNT_KINDS:
        raise InvalidInput(
            f"account kind {kind!r} is not one of {', '.join(ACCOUNT_KINDS)}", field="kind"
        )
    return kind


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} {value!r} is not one of {', '.join(choices)}", field=name)


def validate_profile(values: dict[str, Any], this_year: int) -> dict[str, Any]:
    """Check a partial profile update; returns it unchanged when every field is acceptable."""
    birth_year = values.get("birth_year")
    if birth_year is not None and not (this_year - 120 <= birth_year <= this_year - 13):
        raise InvalidInput(
            f"birth_year {birth_year} is out of range: accounts are for people aged 13 to 120",
            field="birth_year",
        )
    _check_choice("gender", values.get("gender"), GENDERS)
    _check_choice("city_tier", values.get("city_tier"), CITY_TIERS)
    _check_choice("spending_band", values.get("spending_band"), SPENDING_BANDS)
    return values


@dataclass(frozen=True)
class Token:
    """A bearer token as its owner may see it: never the token itself, only when it was
    issued, revoked and (with `token_ttl_s`) expires."""

    id: int
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None
