"""Building a transparency report: the log's figures at a signed checkpoint, the operator's
records for the rest, both published with the rule that produced them (figures.py).

The builder first verifies its own log end to end (the same check `plaudit ledger verify`
runs), tallying the entries as they are verified, so the report is computed at exactly
the checkpoint it publishes and from exactly the entries that checkpoint commits to.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from plaudit.authenticity.refusals import count_refusals_by_rule
from plaudit.errors import Conflict
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import verify_log
from plaudit.persona.accesslog import count_accesses
from plaudit.reports.figures import DEFINITIONS, Figure
from plaudit.reports.logfigures import LogFigures, nearest_rank
from plaudit.reports.period import Period, period_of
from plaudit.store import reports as sql
from plaudit.store import subjects as subjects_sql
from plaudit.subjects.export import CHANNELS

if TYPE_CHECKING:
    from plaudit.platform import Platform

__all__ = [
    "FORMAT",
    "attack_shape",
    "build_report",
    "corrections",
    "derived_figures",
    "percent",
]

FORMAT = "plaudit-transparency-report/v1"
_HOUR_S = 3600
_DAY_S = 86_400


def percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` in percent, two decimals, half up, exact (no floats)."""
    if denominator == 0:
        return "100.00"
    hundredths = (numerator * 20_000 + denominator) // (2 * denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def attack_shape(detector: str, evidence: str) -> str:
    """The shape of the attack behind a verdict (rule in figures.DEFINITIONS)."""
    if detector in ("ring", "farm"):
        return detector
    try:
        window = json.loads(evidence)["window"]
        start = datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(window["end"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unknown"
    seconds = (end - start).total_seconds()
    if seconds <= _HOUR_S:
        return "burst"
    return "same-day" if seconds <= _DAY_S else "slow-drip"


def _grouped(counts: Mapping[str, int], mapping: Mapping[str, str]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for key, count in counts.items():
        total[mapping.get(key, "unknown")] += count
    return dict(sorted(total.items()))


def derived_figures(log: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The log+operator figures: log counts grouped by the operator's published mappings."""
    by_verdict = log["revocations_by_verdict"]
    return {
        "incentivised_likes_by_task": _grouped(
            log["incentivised_likes_by_campaign"], inputs["campaign_tasks"]
        ),
        "fake_likes_by_detector": _grouped(by_verdict, inputs["verdict_detectors"]),
        "fake_likes_by_attack_shape": _grouped(by_verdict, inputs["verdict_shapes"]),
    }


def _seconds(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds() // 1)


def _operator(platform: Platform, period: Period, verdict_ids: list[str]) -> dict[str, Any]:
    start, end = period.start, period.end
    with platform.db.read() as conn:
        holds = sql.hold_counts(conn, start, end)
        revoked = sql.revocation_rows(conn, start, end)
        created = sql.verdicts_created(conn, start, end)
        wanted = sorted({int(v) for v in verdict_ids if v.isdigit()} | set(created))
        verdicts = sql.verdict_rows(conn, wanted)
        appeals = sql.appeal_rows(conn, start, end)
        recorded = sql.recorded_campaign_likes(conn, start, end)
        tasks = sql.campaign_tasks(conn)
        completions = sql.completion_totals(conn, start, end)
        rewards = sql.reward_totals(conn, start, end)
        fund = sql.fund_rows(conn, start, end)
        deletions = sql.shredded_accounts(conn, start, end)
        exports = subjects_sql.exports_by_channel(conn, start, end)
    refusals = count_refusals_by_rule(platform.db, start, end)
    accesses = count_accesses(platform.settings.data_path, start, end)
    refused, held = sum(refusals.values()), sum(holds.values())
    prevented = refused + held
    removed = sum(1 for _v, _like, was_held, _r in revoked if not was_held)
    decided = [
        (status, _seconds(at, filed))
        for status, filed, at in appeals
        if at is not None and start <= at < end
    ]
    waits = [wait for _status, wait in decided]
    return {
        "inputs": {
            "campaign_tasks": tasks,
            "verdict_detectors": {
                str(v): (row[0] if row[3] else "operator") for v, row in verdicts.items()
            },
            "verdict_shapes": {str(v): attack_shape(row[0], row[2]) for v, row in verdicts.items()},
        },
        "recorded_campaign_likes": sum(recorded.values()),
        "figures": {
            "prevented_vs_removed": {
                "refused": refused,
                "held": held,
                "prevented": prevented,
                "removed": removed,
                "proactive_rate_percent": percent(prevented, prevented + removed),
            },
            "held_likes": dict(sorted(holds.items())),
            "verdicts": dict(
                sorted(Counter(verdicts[v][1] for v in created if v in verdicts).items())
            ),
            "appeals": {
                "filed": sum(1 for _s, filed, _d in appeals if start <= filed < end),
                "decided_reinstated": sum(1 for s, _w in decided if s == "reinstated"),
                "decided_upheld": sum(1 for s, _w in decided if s == "upheld"),
                "open": sum(1 for s, filed, _d in appeals if s == "open" and start <= filed < end),
            },
            "appeal_decision_time_s": {
                "count": len(waits),
                "median": nearest_rank(waits, 50),
                "p90": nearest_rank(waits, 90),
            },
            "campaign_completions": {
                status: {"count": n, "fen": fen} for status, (n, fen) in sorted(completions.items())
            },
            "rewards_released": {
                kind: {"count": n, "fen": fen} for kind, (n, fen) in sorted(rewards.items())
            },
            "creator_fund": {
                "periods": [
                    {
                        "name": name,
                        "pool_fen": pool,
                        "closed": closed,
                        "creators_paid": paid,
                        "payouts_fen": total,
                    }
                    for name, pool, closed, paid, total in fund
                ],
                "total_pool_fen": sum(row[1] for row in fund),
                "total_payouts_fen": sum(row[4] for row in fund),
            },
            "account_deletions": deletions,
            "data_exports": {
                **{channel: exports.get(channel, 0) for channel in CHANNELS},
                "total": sum(exports.values()),
            },
            "rule_refusals": refusals,
            "persona_exact_count_accesses": accesses,
        },
    }


def _checkpoint_now(platform: Platform) -> None:
    """Integrate what is pending so the report covers every acknowledged interaction."""
    with suppress(Conflict):  # a running server's integrator is doing it
        platform.integrator.catch_up()
        platform.integrator.ensure_checkpoint()


def _figures(platform: Platform, period: Period, tally: LogFigures) -> dict[str, Any]:
    """Every figure of ``period`` (its log figures tallied), with the operator's inputs."""
    log = tally.figures()
    operator = _operator(platform, period, list(log["revocations_by_verdict"]))
    values: dict[str, Any] = {**log, **derived_figures(log, operator["inputs"])}
    values["disclosure_rate"] = {
        "disclosed": log["incentivised_likes"],
        "recorded": operator["recorded_campaign_likes"],
        "rate_percent": percent(log["incentivised_likes"], operator["recorded_campaign_likes"]),
    }
    values.update(operator["figures"])
    return {
        "inputs": operator["inputs"],
        "figures": [Figure(key, values[key], DEFINITIONS[key]).as_json() for key in DEFINITIONS],
    }


def build_report(
    platform: Platform,
    period: Period,
    previous: Mapping[str, Any] | None = None,
    earlier: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The report as the JSON document report.json holds.

    ``previous``: an earlier report of this period; ``earlier``: reports of other periods.
    Each is recomputed now, in the same pass over the log, and every figure of it that
    changed is listed in ``corrections`` with its period, before, after and why.
    """
    _checkpoint_now(platform)
    others = [r for r in earlier if r["period"]["label"] != period.label]
    tallies = [LogFigures(period), *(LogFigures(period_of(r)) for r in others)]

    def tally(_first: int, entries: list[bytes]) -> None:
        for one in tallies:
            one.add(entries)

    vkey = platform.ledger.vkey
    summary = verify_log(StoreLog(platform.ledger), vkey, on_entries=tally)
    now = _figures(platform, period, tallies[0])
    report: dict[str, Any] = {
        "format": FORMAT,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": {
            "origin": summary.origin,
            "vkey": vkey,
            "size": summary.size,
            "checkpoint": summary.checkpoint,
        },
        "inputs": now["inputs"],
        "figures": now["figures"],
        "corrections": [],
    }
    if previous is not None:
        report["corrections"] = corrections(previous, report)
    for other, other_tally in zip(others, tallies[1:], strict=True):
        recomputed = _figures(platform, period_of(other), other_tally)["figures"]
        report["corrections"] += _changed(other, recomputed, summary.size)
    return report


def corrections(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Figures of an earlier report of the same period that changed, with why."""
    if previous.get("period", {}).get("label") != current["period"]["label"]:
        raise Conflict(
            f"the earlier report is for {previous.get('period', {}).get('label')!r}, not "
            f"{current['period']['label']!r}: corrections compare reports of one period"
        )
    return _changed(previous, current["figures"], current["log"]["size"])


def _changed(
    previous: Mapping[str, Any], figures: Sequence[Mapping[str, Any]], new_size: int
) -> list[dict[str, Any]]:
    """The figures of ``previous`` whose value is now different, with its period and why."""
    before = {f["key"]: f["value"] for f in previous.get("figures", [])}
    old_size = previous["log"]["size"]
    label = previous["period"]["label"]
    changed = []
    for figure in figures:
        key = figure["key"]
        if key not in before or before[key] == figure["value"]:
            continue
        changed.append(
            {
                "period": label,
                "key": key,
                "before": before[key],
                "after": figure["value"],
                "why": _why(figure["basis"], old_size, new_size),
            }
        )
    return changed


def _why(basis: str, old_size: int, new_size: int) -> dict[str, str]:
    if basis == "log" or (basis == "log+operator" and old_size != new_size):
        return {
            "en": f"the log grew from {old_size} to {new_size} entries since the earlier "
            "report, and entries timed in the period were integrated after it (late "
            "revocations, reinstatements after appeal, unlikes)",
            "zh": f"自上一份报告以来账本从 {old_size} 条增长到 {new_size} 条，"
            "其中有时间落在本期的条目是之后才写入的（较晚的撤销、申诉后的恢复、取消点赞）",
        }
    return {
        "en": "the operator's records changed since the earlier report (appeals decided, "
        "holds released, rewards settled, fund periods closed)",
        "zh": "自上一份报告以来运营方的记录发生了变化"
        "（申诉已决定、暂扣已释放、奖励已结算、基金周期已结束）",
    }
