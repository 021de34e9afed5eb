"""Ready sign-ins for the demo community: a creator, a fan, a brand (organisation owner) and
an operator, each with a known password printed by `plaudit demo` (stored only hashed)."""

from __future__ import annotations

from dataclasses import dataclass

from plaudit.platform import Platform
from plaudit.store import catalog
from plaudit.store import console as sql
from plaudit.web.signin import SignIns

__all__ = ["DEMO_SIGNINS", "DemoSignIn", "create_demo_signins"]


@dataclass(frozen=True)
class DemoSignIn:
    role: str
    handle: str
    password: str


# Demo passwords are public on purpose (README): the demo community is synthetic.
DEMO_SIGNINS = (
    DemoSignIn("creator", "demo-creator", "plaudit-creator"),
    DemoSignIn("fan", "demo-fan", "plaudit-fan-demo"),
    DemoSignIn("brand", "demo-brand", "plaudit-brand-demo"),
    DemoSignIn("operator", "demo-operator", "plaudit-operator"),
)


def create_demo_signins(platform: Platform) -> list[DemoSignIn]:
    """Give the demo's busiest creator and fan a known handle and password; add a brand with
    its organisation and an operator. Running it again only resets the passwords."""
    ids = {
        "creator": _take_over(platform, "creator", "demo-creator"),
        "fan": _take_over(platform, "fan", "demo-fan"),
        "brand": _account(platform, "demo-brand", "brand", "演示品牌 Demo Brand"),
        "operator": _account(platform, "demo-operator", "operator", "演示运营 Demo Operator"),
    }
    with platform.db.read() as conn:
        owns = sql.organisations_owned(conn, ids["brand"])
    if not owns:
        platform.campaigns.create_organisation(ids["brand"], "演示品牌 Demo Brand")
    signins = SignIns(platform.db)
    for signin in DEMO_SIGNINS:
        signins.set_password(ids[signin.role], signin.password)
    # the dashboard's insights, as the daily refresh would store them: the first visit is quick
    platform.strategy.refresh(ids["creator"])
    return list(DEMO_SIGNINS)


def _existing(platform: Platform, handle: str) -> int | None:
    with platform.db.read() as conn:
        row = catalog.account_by_handle(conn, handle)
    return None if row is None else int(row.id)


def _take_over(platform: Platform, kind: str, handle: str) -> int:
    """The demo's busiest account of a kind, renamed to the documented handle."""
    found = _existing(platform, handle)
    if found is not None:
        return found
    with platform.db.read() as conn:
        busiest = sql.busiest(conn, kind)
    if busiest is None:  # an empty community: a fresh account still lets people sign in
        return _account(platform, handle, kind, handle)
    platform.db.write(lambda conn: sql.rename_account(conn, busiest, handle))
    return busiest


def _account(platform: Platform, handle: str, kind: str, display_name: str) -> int:
    found = _existing(platform, handle)
    if found is not None:
        return found
    account, _token = platform.accounts.create(handle, kind, display_name)
    return account.id
