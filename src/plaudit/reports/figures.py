"""The report's figures: value, basis (who vouches for it) and the rule that produced it.

``basis`` is one of:

* ``log``: recomputed by anyone from the public log alone (``plaudit report verify``);
* ``log+operator``: counts from the log, grouped by a mapping the operator publishes in the
  report (campaign -> task, verdict -> detector, verdict -> attack shape); verify recomputes
  it from the log and the published mapping;
* ``operator``: from the operator's records (holds, refusals, appeals, money, the persona
  access log, data-subject requests): attested, not verifiable from the log.

Titles and rules, in English and Chinese, are kept here once and written into report.json,
both HTML pages and docs/transparency.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BASES", "DEFINITIONS", "Definition", "Figure", "definitions_markdown"]

BASES = ("log", "log+operator", "operator")


@dataclass(frozen=True, slots=True)
class Definition:
    """How a figure is named and computed, in both languages."""

    basis: str
    unit: str
    title_en: str
    title_zh: str
    rule_en: str
    rule_zh: str


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a report."""

    key: str
    value: Any
    definition: Definition

    def as_json(self) -> dict[str, Any]:
        d = self.definition
        return {
            "key": self.key,
            "value": self.value,
            "basis": d.basis,
            "unit": d.unit,
            "title": {"en": d.title_en, "zh": d.title_zh},
            "rule": {"en": d.rule_en, "zh": d.rule_zh},
        }


_IN = "whose entry time lies in the period [start, end)"
_IN_ZH = "条目时间落在报告期 [开始, 结束) 内"

DEFINITIONS: dict[str, Definition] = {
    "interactions_by_kind": Definition(
        "log",
        "entries",
        "Interactions by kind",
        "按类型统计的互动",
        f"Ledger entries {_IN}, counted by kind (like, unlike, comment, follow, unfollow, "
        "share, revoke, reinstate).",
        f"账本中{_IN_ZH}的条目，按类型计数（点赞、取消点赞、评论、关注、取消关注、分享、撤销、恢复"
        f"）。",
    ),
    "period_likes_at_checkpoint": Definition(
        "log",
        "likes",
        "Likes of the period, status at the checkpoint",
        "本期点赞在检查点时的状态",
        "LIKE entries of the period still active at the report's checkpoint (not ended by an "
        "UNLIKE; likes paired by video and account commitment); revoked = those with a REVOKE "
        "not followed by a REINSTATE; authentic_or_held = active - revoked (the log does not "
        "distinguish likes held for review).",
        "本期的点赞条目中，到报告检查点仍然有效的（未被取消点赞；按视频与账户承诺配对）；revoked 为"
        "有撤销且未恢复的；"
        "authentic_or_held = 有效 - 撤销（账本不区分待审核的点赞）。",
    ),
    "revocations": Definition(
        "log",
        "likes",
        "Fake likes removed (revoked by scans)",
        "被扫描撤销的虚假点赞",
        f"REVOKE entries {_IN} that revoke an active, not yet revoked like.",
        f"{_IN_ZH}、且撤销的是一个有效且尚未被撤销的点赞的撤销条目数。",
    ),
    "revocations_by_verdict": Definition(
        "log",
        "likes",
        "Revocations by verdict",
        "按判定统计的撤销",
        "The revocations above, grouped by the verdict id in the entry's source verdict:<id>.",
        "上述撤销按条目来源 verdict:<id> 中的判定编号分组。",
    ),
    "reinstatements": Definition(
        "log",
        "likes",
        "Likes reinstated after appeal",
        "申诉后恢复的点赞",
        f"REINSTATE entries {_IN} that reinstate a revoked like.",
        f"{_IN_ZH}、且恢复的是一个被撤销点赞的恢复条目数。",
    ),
    "like_to_revocation_s": Definition(
        "log",
        "seconds",
        "Time from like to revocation",
        "从点赞到撤销的时间",
        "For each revocation counted above: the REVOKE entry's time minus the time of the "
        "LIKE it revokes, in whole seconds (floored); median and p90 by the nearest-rank "
        "rule (the smallest value with at least 50% / 90% of the values at or below it).",
        "对上面统计的每次撤销：撤销条目时间减去被撤销点赞的时间，取整秒（向下取整）；中位数与 p90 "
        "采用最近秩法（至少 50% / 90% 的值不大于它的最小值）。",
    ),
    "incentivised_likes": Definition(
        "log",
        "likes",
        "Incentivised likes (disclosed in the log)",
        "激励点赞（在账本中披露）",
        f"LIKE entries {_IN} whose source is campaign:<id>.",
        f"{_IN_ZH}、来源为 campaign:<id> 的点赞条目数。",
    ),
    "incentivised_likes_by_campaign": Definition(
        "log",
        "likes",
        "Incentivised likes by campaign",
        "按活动统计的激励点赞",
        "The incentivised likes above, grouped by the campaign id of their source.",
        "上述激励点赞按来源中的活动编号分组。",
    ),
    "incentivised_likes_by_task": Definition(
        "log+operator",
        "likes",
        "Incentivised likes by campaign task",
        "按活动任务统计的激励点赞",
        "Incentivised likes by campaign, summed by each campaign's task as published in "
        "inputs.campaign_tasks.",
        "按活动统计的激励点赞，依据 inputs.campaign_tasks 中公布的各活动任务求和。",
    ),
    "disclosure_rate": Definition(
        "log+operator",
        "likes",
        "Disclosure rate of incentivised likes",
        "激励点赞披露率",
        "disclosed = incentivised likes in the log (above); recorded = likes the campaigns "
        "recorded as made for a campaign in the period (operator); rate = disclosed / "
        "recorded, in percent with two decimals (100.00% when nothing was recorded). Every "
        "campaign like is written with its campaign:<id> source, so the rate is 100%.",
        "disclosed = 账本中的激励点赞数；recorded = 运营方记录的本期活动点赞数；披露率 = disclosed "
        "/ "
        "recorded，百分比保留两位小数（无记录时为 100.00%）。每个活动点赞写入账本时都带有 campaign:"
        "<id> "
        "来源，因此披露率为 100%。",
    ),
    "fake_likes_by_detector": Definition(
        "log+operator",
        "likes",
        "Fake likes by detector",
        "按检测器统计的虚假点赞",
        "Revocations by verdict, summed by each verdict's detector as published in "
        "inputs.verdict_detectors (lockstep, dense, ring, farm, or operator for a manual "
        "verdict).",
        "按判定统计的撤销，依据 inputs.verdict_detectors 中公布的各判定检测器求和。",
    ),
    "fake_likes_by_attack_shape": Definition(
        "log+operator",
        "likes",
        "Fake likes by attack shape",
        "按攻击形态统计的虚假点赞",
        "Revocations by verdict, summed by each verdict's shape as published in "
        "inputs.verdict_shapes: ring (like-exchange ring), farm (device or network farm), "
        "otherwise by the time window of the verdict's likes: burst (at most 1 hour), "
        "same-day (at most 24 hours), slow-drip (longer).",
        "按判定统计的撤销，依据 inputs.verdict_shapes 中公布的形态求和：ring（互赞圈）、farm（设备"
        "或网络农场），"
        "其余按判定中点赞的时间跨度：burst（不超过 1 小时）、same-day（不超过 24 小时）、slow-drip"
        "（更长）。",
    ),
    "prevented_vs_removed": Definition(
        "operator",
        "likes",
        "Prevented versus removed, proactive rate",
        "拦截与移除、主动处置率",
        "refused = likes refused by the real-time rules in the period (rule_refusals); held "
        "= likes held by the real-time rules in the period (held_likes); prevented = refused "
        "+ held; removed = likes revoked in the period that had not been held; "
        "proactive_rate = prevented / (prevented + removed), in percent with two decimals "
        "(100.00% when both are 0): the share of the likes acted on that were stopped when "
        "they were made, before they counted publicly.",
        "refused = 本期被实时规则拒绝的点赞（rule_refusals）；held = 本期被实时规则暂扣的点赞"
        "（held_likes）；prevented = refused + held；removed = 本期被撤销且此前未被暂扣的点赞；"
        "主动处置率 = prevented / (prevented + removed)，百分比保留两位小数（两者均为 0 时为 "
        "100.00%）：被处置的点赞中，在发生时即被拦下、尚未计入公开数字的比例。",
    ),
    "held_likes": Definition(
        "operator",
        "likes",
        "Likes held for review",
        "暂扣待审的点赞",
        "Likes held by a real-time rule in the period, by outcome so far: released, revoked, "
        "or open.",
        "本期被实时规则暂扣的点赞，按目前结果分组：释放、撤销或仍待审。",
    ),
    "verdicts": Definition(
        "operator",
        "verdicts",
        "Verdicts",
        "判定",
        "Verdicts created in the period, by status now (in_force, reinstated, ...).",
        "本期创建的判定，按当前状态分组。",
    ),
    "appeals": Definition(
        "operator",
        "appeals",
        "Appeals",
        "申诉",
        "filed = appeals filed in the period; decided_reinstated / decided_upheld = appeals "
        "decided in the period by decision; open = appeals filed in the period not decided.",
        "filed = 本期提交的申诉；decided_reinstated / decided_upheld = 本期作出决定的申诉（按决定）"
        "；"
        "open = 本期提交且尚未决定的申诉。",
    ),
    "appeal_decision_time_s": Definition(
        "operator",
        "seconds",
        "Appeal decision time",
        "申诉处理时间",
        "For appeals decided in the period: decided_at - filed_at in whole seconds (floored); "
        "median and p90 by the nearest-rank rule.",
        "本期作出决定的申诉：决定时间 - 提交时间，取整秒；中位数与 p90 采用最近秩法。",
    ),
    "campaign_completions": Definition(
        "operator",
        "fen",
        "Campaign rewards released and voided",
        "活动奖励发放与作废",
        "Completions settled in the period, by status (released, voided, unfunded): count "
        "and sum of amount_fen (integer fen).",
        "本期结算的任务完成记录，按状态（released、voided、unfunded）统计数量与金额（整数分）。",
    ),
    "rewards_released": Definition(
        "operator",
        "fen",
        "Rewards paid",
        "已发放奖励",
        "Rewards released in the period, by kind (coupon, donation): count and sum of amount_fen.",
        "本期发放的奖励，按类型（优惠券、捐赠）统计数量与金额（分）。",
    ),
    "creator_fund": Definition(
        "operator",
        "fen",
        "Creator fund: pool and payouts",
        "创作者基金：资金池与发放",
        "Fund periods ending in the report period: pool_fen, creators paid (payout > 0), "
        "sum of payout_fen; total = the sums over those fund periods. Payouts never exceed "
        "the pool (largest-remainder rounding, docs/fund.md).",
        "在报告期内结束的基金周期：资金池（分）、获得发放的创作者数、发放总额；total 为各周期之和。"
        "",
    ),
    "account_deletions": Definition(
        "operator",
        "accounts",
        "Data-subject deletions",
        "个人信息删除请求",
        "Accounts deleted in the period (DELETE /v1/me, the console, or plaudit accounts "
        "delete): accounts whose ledger secret was deleted (crypto-shredded), by the time it "
        "was deleted.",
        "本期删除的账户（DELETE /v1/me、控制台或 plaudit accounts delete）：按删除时间统计账本密钥"
        "被删除（加密粉碎）的账户数。",
    ),
    "data_exports": Definition(
        "operator",
        "requests",
        "Data-subject export requests",
        "个人信息导出请求",
        "Exports of a person's own data in the period, by channel (api = GET /v1/me/export, "
        "console = /me/export.json) and in total; each export is recorded when it is made "
        "with its time and channel only, never whose.",
        "本期个人导出自己数据的次数，按渠道（api = GET /v1/me/export，console = /me/export.json）"
        "及合计统计；每次导出在发生时记录，只记时间与渠道，不记是谁。",
    ),
    "rule_refusals": Definition(
        "operator",
        "likes",
        "Likes refused by the real-time rules",
        "被实时规则拒绝的点赞",
        "Likes refused by a real-time rule in the period (a 429 or 403 answer to a like, or "
        "a refused item of a bulk batch), by rule: each refusal is recorded when it is made, "
        "with its rule, video and time only. Refused likes never become entries, so the log "
        "cannot confirm this count.",
        "本期被实时规则拒绝的点赞（对点赞返回 429 或 403，或批量导入中被拒绝的条目），按规则统计"
        "：每次拒绝在发生时记录，只记规则、视频与时间。被拒绝的点赞不会成为账本条目，因此账本无法"
        "核实该数字。",
    ),
    "persona_exact_count_accesses": Definition(
        "operator",
        "accesses",
        "Operator exact-count accesses to persona data",
        "运营方对画像数据的精确计数访问",
        "Lines of the access log DATA_DIR/persona-access.log whose time lies in the period, "
        "by action (exact-count: an operator's exact segment count through the API or the "
        "CLI, logged before the answer is shown); unreadable = lines of the log that are not "
        "an access (any time), listed rather than skipped.",
        "访问日志 DATA_DIR/persona-access.log 中时间落在本期的行，按动作统计（exact-count：运营方"
        "通过 API 或命令行进行的精确人群计数，在给出答案前记录）；unreadable = 日志中无法识别为访问"
        "记录的行（不限时间），列出而不跳过。",
    ),
    "malformed_entries": Definition(
        "log",
        "entries",
        "Malformed ledger entries",
        "格式错误的账本条目",
        "Entries up to the checkpoint that do not decode as version-1 entries (should be 0).",
        "检查点之前无法按第 1 版格式解码的条目数（应为 0）。",
    ),
}


def definitions_markdown() -> str:
    """The figures' section of docs/transparency.md, generated from DEFINITIONS
    (``python scripts/transparency-doc.py`` writes it; a test keeps the page in step)."""
    parts = []
    for key, d in DEFINITIONS.items():
        parts.append(
            f"### `{key}`: {d.title_en} ({d.title_zh})\n\n"
            f"Basis: **{d.basis}**; unit: {d.unit}.\n\n{d.rule_en}\n\n{d.rule_zh}\n"
        )
    return "\n".join(parts)
