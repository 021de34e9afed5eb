"""An organisation's API keys (组织 API 密钥): its owners make scoped keys (the secret is
shown once), see each key's last use and revoke it; other members are told who manages them.
Thin over `platform.apikeys`, as `/v1/api-keys` with `organisation_id` is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.apikeys.model import RESOURCES, ApiKey
from plaudit.errors import InvalidInput
from plaudit.web.pages.brand import brand_member
from plaudit.web.render import ConsoleRoute, Page, page_of

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
MAX_DAYS = 3650


@router.get("/brand/organisations/{organisation_id:int}/keys")
def keys(organisation_id: int, page: PageDep) -> Any:
    return _keys_page(page, organisation_id, None)


@router.post("/brand/organisations/{organisation_id:int}/keys")
async def create(organisation_id: int, page: PageDep) -> Any:
    """A new key of the organisation; its secret is in this answer and nowhere else."""
    fields = await page.form()
    viewer, _role = brand_member(page, organisation_id)
    scopes = [f"{r}:{fields[r]}" for r in RESOURCES if fields.get(r) in ("read", "write")]
    name = fields.get("name", "").strip()
    if not 1 <= len(name) <= 64:
        raise InvalidInput("name: 1 to 64 characters, to recognise the key by", field="name")
    key, secret = page.platform.apikeys.create(
        viewer.account_id, name, scopes, organisation_id, _expiry(fields.get("days", ""))
    )
    return _keys_page(page, organisation_id, (key, secret))


@router.post("/brand/organisations/{organisation_id:int}/keys/{key_id:int}/revoke")
async def revoke(organisation_id: int, key_id: int, page: PageDep) -> Any:
    await page.form()
    viewer, _role = brand_member(page, organisation_id)
    page.platform.apikeys.revoke(viewer.account_id, key_id)
    return page.redirect(f"/brand/organisations/{organisation_id}/keys")


def _keys_page(page: Page, organisation_id: int, made: tuple[ApiKey, str] | None) -> Any:
    viewer, role = brand_member(page, organisation_id)
    org = page.platform.campaigns.organisation(viewer.account_id, organisation_id)
    owner = role == "owner"
    found = page.platform.apikeys.keys(viewer.account_id, organisation_id) if owner else []
    return page.render(
        "organisation_keys.html",
        org=org,
        owner=owner,
        keys=found,
        made=made,
        resources=RESOURCES,
        now=datetime.now(UTC),
    )


def _expiry(text: str) -> datetime | None:
    """Days from now, or None (never) when left empty."""
    if not text.strip():
        return None
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"days: a whole number of days from 1 to {MAX_DAYS}, or empty for a key that "
            "does not expire",
            field="days",
        )
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
