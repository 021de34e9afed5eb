"""An operator's long-running work from the console: the persona index (freshness, a refresh
whose progress the page shows, exact counts and their access log), a fund period verified
against the log with its statements, and the ledger audit. Each long run is a background job
(web/jobs.py) that the page polls with htmx; without JavaScript the page shows the state
when reloaded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from plaudit.errors import InvalidInput, NotFound
from plaudit.web.jobs import JOB_KINDS, Jobs, Outcome, Progress, Summary
from plaudit.web.pages.operator import operator_only
from plaudit.web.render import ConsoleRoute, Page, page_of

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PageDep = Annotated[Page, Depends(page_of)]
ACCESS_SHOWN = 100
REFRESH_STAGES = ("profiles", "interactions", "interests", "devices", "follows", "bitmaps")
HOME = {"persona-refresh": "/operator/persona", "ledger-audit": "/operator#audit"}


def _jobs(page: Page) -> Jobs:
    jobs: Jobs = page.request.app.state.jobs
    return jobs


# --- persona ---


@router.get("/operator/persona")
def persona(page: PageDep) -> Any:
    """The index's freshness, its refresh, exact counts and the exact-count access log."""
    operator_only(page)
    return _persona_page(page)


def _persona_page(page: Page, exact: tuple[str, int] | None = None) -> Any:
    total, entries = page.platform.persona.access_log(ACCESS_SHOWN)
    return page.render(
        "operator_persona.html",
        freshness=page.platform.persona.freshness(),
        job=_jobs(page).state("persona-refresh"),
        accesses=total,
        entries=entries,
        exact=exact,
    )


@router.post("/operator/persona/exact")
async def exact_count(page: PageDep) -> Any:
    """An operator's exact count, logged (persona-access.log) before it is shown."""
    fields = await page.form()
    viewer = operator_only(page)
    expression = fields.get("expression", "").strip()
    if not expression:
        raise InvalidInput("expression: write a segment expression to count", field="expression")
    n = page.platform.persona.exact_count(expression, f"account:{viewer.account_id}")
    return _persona_page(page, (expression, n))


def _refresh_work(page: Page) -> Any:
    persona = page.platform.persona

    def work(progress: Progress) -> Outcome:
        total = len(REFRESH_STAGES) + 1  # the stages, then writing and swapping the index

        def step(label: str) -> None:
            done = REFRESH_STAGES.index(label) if label in REFRESH_STAGES else 0
            progress(done, total, label)

        result = persona.refresh(progress=step)
        progress(total, total, "saved")
        how = "full" if result.full else "incremental"
        consenting = len(result.index.universe)
        line = f"{how} ({result.reason}): {consenting:,} accounts with targeting consent"
        return Outcome(True, [line], {"what": f"refresh-{how}", "accounts": consenting})

    return work


# --- the fund period, verified against the log ---


@router.get("/operator/fund/periods/{period_id:int}")
def fund_period(period_id: int, page: PageDep) -> Any:
    """A period with its totals and statements; a closed one can be verified from here."""
    operator_only(page)
    fund = page.platform.fund
    period = fund.period(period_id)
    job = _jobs(page).state("fund-verify")
    return page.render(
        "operator_period.html",
        totals=fund.totals(period.id),
        statements=fund.statements(period.id) if period.closed else [],
        job=job if job is not None and job.subject == str(period.id) else None,
    )


def _verify_work(page: Page, period_id: int) -> Any:
    from plaudit.fund.verify import verify_period

    platform = page.platform
    platform.fund.period(period_id)  # a missing period is a 404 now, not a failed job

    def work(progress: Progress) -> Outcome:
        report = verify_period(
            platform.db,
            platform.ledger,
            period_id,
            on_progress=lambda done, size: progress(done, size, "entries"),
        )
        summary: Summary = {
            "what": "fund-verify",
            "period": report.period.name,
            "entries": report.period.through_seq or 0,  # closed: always set
            "standing": report.standing,
            "attributed": report.attributed,
            "differences": len(report.differences),
            "tampered": len(report.tampered),
        }
        return Outcome(report.ok, report.lines(), summary)

    return work


# --- the ledger audit ---


def _audit_work(page: Page) -> Any:
    from plaudit.ledgerstore.audit import audit_store

    ledger, videos = page.platform.ledger, page.platform.videos

    def work(progress: Progress) -> Outcome:
        report = audit_store(
            ledger, videos, on_progress=lambda done, size: progress(done, size, "entries")
        )
        totals = report.totals()
        summary: Summary = {
            "what": "audit",
            "entries": report.log.size,
            "videos": len(report.videos),
            "likes": totals.likes,
            "incentivised": totals.incentivised,
            "revoked": totals.revoked,
            "mismatches": len(report.mismatches),
            "anomalies": len(report.anomalies),
        }
        return Outcome(report.ok, report.lines(), summary)

    return work


# --- jobs: start one, poll it ---


@router.post("/operator/jobs/{kind}")
async def start_job(kind: str, page: PageDep) -> Any:
    """Start a job; htmx gets the polling panel, a plain form post the page it belongs to."""
    fields = await page.form()
    operator_only(page)
    _known(kind)
    subject = ""
    if kind == "persona-refresh":
        work = _refresh_work(page)
    elif kind == "ledger-audit":
        work = _audit_work(page)
    else:
        period_id = _period_id(fields.get("period", ""))
        subject, work = str(period_id), _verify_work(page, period_id)
    job = _jobs(page).start(kind, subject, work)
    if page.request.headers.get("HX-Request") != "true":
        return page.redirect(HOME.get(kind, f"/operator/fund/periods/{subject}"))
    return page.render("_job.html", kind=kind, job=job)


@router.get("/operator/jobs/{kind}")
def job_state(kind: str, page: PageDep) -> Any:
    """The job's panel: it polls itself while the job runs (htmx), and stops when it ends."""
    operator_only(page)
    _known(kind)
    return page.render("_job.html", kind=kind, job=_jobs(page).state(kind))


def _known(kind: str) -> None:
    if kind not in JOB_KINDS:
        raise NotFound(f"no job {kind!r}; jobs are {', '.join(JOB_KINDS)}")


def _period_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("period: the number of a fund period", field="period") from None
