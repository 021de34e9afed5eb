"""The error hierarchy: stable type slugs, HTTP statuses and RFC 9457 problem objects."""

from __future__ import annotations

import inspect

import pytest

import plaudit.api  # noqa: F401  (imports every domain, so subclasses defined anywhere count)
from plaudit import errors
from plaudit.errors import PROBLEM_BASE, PlauditError


def _all_subclasses(cls: type[PlauditError]) -> list[type[PlauditError]]:
    found: list[type[PlauditError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


DEFINED = [
    obj
    for _, obj in inspect.getmembers(errors, inspect.isclass)
    if issubclass(obj, PlauditError) and obj.__module__ == errors.__name__
]
ALL = sorted({*DEFINED, *_all_subclasses(PlauditError)}, key=lambda c: c.__qualname__)

# The statuses the hierarchy in the module docstring promises (clients rely on them).
EXPECTED_STATUS = {
    "PersonaIndexMissing": 404,
    "PlauditError": 500,
    "ConfigError": 500,
    "MissingDependency": 500,
    "InvalidInput": 422,
    "NotAuthenticated": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "AccountNotFound": 404,
    "VideoNotFound": 404,
    "LikeNotFound": 404,
    "Conflict": 409,
    "NotLiked": 409,
    "NotFollowing": 409,
    "HandleTaken": 409,
    "PayloadTooLarge": 413,
    "StorageUnavailable": 503,
    "StorageError": 500,
    "PendingIntegration": 503,
    # authenticity (issue 4)
    "RefusedByRule": 403,
    "RateLimited": 429,
    "VerdictNotFound": 404,
    "AppealNotFound": 404,
    "AlreadyAppealed": 409,
    "AlreadyDecided": 409,
    # campaigns (issue 7)
    "OrganisationNotFound": 404,
    "CampaignNotFound": 404,
    "CouponNotFound": 404,
    "NotEligible": 403,
    "NotOptedIn": 403,
    "CampaignNotActive": 409,
    "BudgetExhausted": 409,
    "RewardLimitReached": 409,
    "AlreadyCheckedIn": 409,
    "StreakEnded": 409,
    "LikedBeforeCampaign": 409,
    "CouponAlreadyShown": 409,
    "CouponAlreadyRedeemed": 409,
    "ApiKeyNotFound": 404,
    "AppNotFound": 404,
    "MissingScope": 403,
    "IdempotencyKeyInUse": 409,
    "IdempotencyKeyReused": 422,
    "PrivacyBudgetExhausted": 429,
    # hardening (issue 17)
    "MalformedBody": 422,
}


def test_every_error_class_of_the_module_is_exported() -> None:
    assert {c.__name__ for c in DEFINED} <= set(errors.__all__)
    assert {c.__name__ for c in DEFINED} == set(EXPECTED_STATUS)


def test_type_slugs_are_distinct() -> None:
    slugs = [cls.type for cls in ALL]
    assert len(slugs) == len(set(slugs)), sorted(slugs)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_each_error_has_slug_status_and_title(cls: type[PlauditError]) -> None:
    assert cls.type
    assert cls.type == cls.type.lower()
    assert all(ch.isalnum() or ch == "-" for ch in cls.type), cls.type
    assert 400 <= cls.status <= 599
    assert cls.title.strip()
    if cls.__module__ == errors.__name__:
        assert cls.status == EXPECTED_STATUS[cls.__name__]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_problem_is_an_rfc9457_object(cls: type[PlauditError]) -> None:
    error = cls("what went wrong and what to do", field="handle", video_id=7)
    body = error.problem()
    assert body == {
        "type": PROBLEM_BASE + cls.type,
        "title": cls.title,
        "status": cls.status,
        "detail": "what went wrong and what to do",
        "field": "handle",
        "video_id": 7,
    }
    assert body["type"].startswith("https://")
    assert error.type_uri == body["type"]
    assert str(error) == error.detail


def test_problem_includes_instance_only_when_given() -> None:
    error = errors.VideoNotFound("video 3 does not exist")
    assert "instance" not in error.problem()
    assert error.problem("/v1/videos/3")["instance"] == "/v1/videos/3"


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (errors.AccountNotFound, errors.NotFound),
        (errors.VideoNotFound, errors.NotFound),
        (errors.LikeNotFound, errors.NotFound),
        (errors.NotLiked, errors.Conflict),
        (errors.NotFollowing, errors.Conflict),
        (errors.HandleTaken, errors.Conflict),
    ],
)
def test_specific_errors_can_be_caught_by_their_family(
    child: type[PlauditError], parent: type[PlauditError]
) -> None:
    with pytest.raises(parent):
        raise child("x")
