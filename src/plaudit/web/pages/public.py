"""Pages anyone can read: home, a video, a creator, and the ledger audit (快链审计)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from plaudit.errors import PlauditError
from plaudit.ledger.entries import Kind, decode_entry
from plaudit.ledger.errors import LedgerError
from plaudit.web.queries import ConsoleQueries
from plaudit.web.render import ConsoleRoute, Page, page_of

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]


def _latest_checkpoint(page: Page) -> str | None:
    try:
        return page.platform.ledger.checkpoint()
    except PlauditError:  # nothing signed yet: the page says so
        return None


@router.get("/")
def home(page: PageDep) -> Any:
    totals = ConsoleQueries(page.platform.db).totals()
    return page.render("home.html", totals=totals, checkpoint=_latest_checkpoint(page))


@router.get("/videos/{video_id}")
def video(video_id: int, page: PageDep) -> Any:
    found = page.platform.videos.get(video_id)
    creator = page.platform.accounts.get(found.creator_id)
    campaigns = page.platform.campaigns.video_campaigns(video_id)
    return page.render("video.html", video=found, creator=creator, campaigns=campaigns)


@router.get("/creators/{creator_id}")
def creator(creator_id: int, page: PageDep) -> Any:
    account = page.platform.accounts.get(creator_id)
    videos = page.platform.videos.page(None, 100, creator_id=creator_id)
    return page.render("creator_public.html", account=account, videos=videos)


@router.get("/ledger-audit")
def audit(page: PageDep, before: Annotated[int | None, Query(ge=1)] = None) -> Any:
    rows = ConsoleQueries(page.platform.db).checkpoints(before)
    sizes = [row.size for row in rows if row.size > 0]  # the empty tree has nothing to check
    return page.render(
        "audit.html",
        checkpoints=rows,
        older=min(sizes, default=1),
        newer=max(sizes, default=1),
        latest=_latest_checkpoint(page),
        vkey=page.platform.ledger.vkey,
        witnesses=page.platform.settings.witness_keys,
        base=str(page.request.base_url).rstrip("/"),
    )


def _entry_view(data: bytes) -> dict[str, Any]:
    entry = decode_entry(data)
    return {
        "kind": Kind(entry.kind).name.lower(),
        "time": datetime.fromtimestamp(entry.time_us / 1e6, UTC),
        "target_id": entry.target_id,
        "source": entry.source,
        "account": entry.account.hex(),
        "device": entry.device.hex() if entry.device else None,
        "hex": data.hex(),
    }


@router.get("/ledger-audit/entries")
def entry(page: PageDep, index: Annotated[int, Query(ge=0)] = 0) -> Any:
    size = page.platform.ledger.size()
    view = None
    if index < size:
        try:
            view = _entry_view(page.platform.ledger.entry(index))
        except LedgerError as exc:
            return page.render("entry.html", index=index, size=size, view=None, problem=str(exc))
    return page.render("entry.html", index=index, size=size, view=view, problem=None)
