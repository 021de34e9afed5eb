"""Rendering a report: HTML in Chinese and English with SVG charts, and PDFs of both.

Charts are drawn with matplotlib into SVG (``svg.fonttype = none``: text stays text, so
the page's fonts, including the Noto CJK fonts, render it). Chart labels are the figures'
keys (``like``, ``lockstep``...), the same in both languages; titles and explanations
around them are translated. PDFs are the same HTML printed by WeasyPrint.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plaudit.errors import MissingDependency

__all__ = ["LANGUAGES", "render_html", "write_pdf"]

LANGUAGES = ("zh", "en")

_TEXT = {
    "title": {"zh": "互动数据白皮书", "en": "Interaction data transparency report"},
    "period": {"zh": "报告期", "en": "Period"},
    "checkpoint": {"zh": "计算所依据的签名检查点", "en": "Computed at the signed checkpoint"},
    "entries": {"zh": "条目", "en": "entries"},
    "verify": {
        "zh": "任何人都可以从公开账本重新计算标注为“账本可验证”的每个数字：",
        "en": "Anyone can recompute every figure marked log-verified from the public log:",
    },
    "figure": {"zh": "指标", "en": "Figure"},
    "value": {"zh": "数值", "en": "Value"},
    "basis": {"zh": "依据", "en": "Basis"},
    "rule": {"zh": "计算规则", "en": "Rule"},
    "corrections": {"zh": "更正", "en": "Corrections"},
    "no_corrections": {
        "zh": "此前发布的报告（本期及其他各期）中没有数字发生变化（或尚无此前的报告）。",
        "en": "No figure of an earlier report (of this period or another) changed, or there "
        "is no earlier report.",
    },
    "before": {"zh": "原数值", "en": "Before"},
    "after": {"zh": "新数值", "en": "After"},
    "why": {"zh": "原因", "en": "Why"},
    "generated": {"zh": "生成时间", "en": "Generated"},
    "charts": {"zh": "图表", "en": "Charts"},
}
_BASIS = {
    "log": {"zh": "账本可验证", "en": "log-verified"},
    "log+operator": {"zh": "账本 + 运营方映射", "en": "log + operator mapping"},
    "operator": {"zh": "运营方声明", "en": "operator-attested"},
}
_SECTIONS = [
    (
        {"zh": "互动", "en": "Interactions"},
        ["interactions_by_kind", "period_likes_at_checkpoint", "malformed_entries"],
    ),
    (
        {"zh": "真实性：拦截与移除", "en": "Authenticity: prevented and removed"},
        [
            "prevented_vs_removed",
            "held_likes",
            "rule_refusals",
            "revocations",
            "revocations_by_verdict",
            "fake_likes_by_detector",
            "fake_likes_by_attack_shape",
            "like_to_revocation_s",
        ],
    ),
    (
        {"zh": "判定与申诉", "en": "Verdicts and appeals"},
        ["verdicts", "appeals", "reinstatements", "appeal_decision_time_s"],
    ),
    (
        {"zh": "激励互动与资金", "en": "Incentivised interactions and money"},
        [
            "incentivised_likes",
            "incentivised_likes_by_campaign",
            "incentivised_likes_by_task",
            "disclosure_rate",
            "campaign_completions",
            "rewards_released",
            "creator_fund",
        ],
    ),
    (
        {"zh": "隐私", "en": "Privacy"},
        ["persona_exact_count_accesses", "account_deletions", "data_exports"],
    ),
]
_CHARTS = [
    ("interactions_by_kind", {"zh": "按类型统计的互动", "en": "Interactions by kind"}),
    ("fake_likes_by_detector", {"zh": "按检测器统计的虚假点赞", "en": "Fake likes by detector"}),
    (
        "prevented_vs_removed",
        {"zh": "拦截（实时规则）与移除（扫描）", "en": "Prevented (rules) vs removed (scans)"},
    ),
    (
        "incentivised_likes_by_task",
        {"zh": "按任务统计的激励点赞", "en": "Incentivised likes by task"},
    ),
]
_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", sans-serif;
       font-size: 10pt; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 13pt; margin: 16pt 0 6pt;
  border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
th, td { border: 1px solid #ccc; padding: 3pt 5pt; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.inner td, table.inner th { border: none; padding: 0 6pt 0 0; }
.basis-log { color: #0a6b2d; } .basis-operator { color: #8a5a00; }
.rule { font-size: 8pt; color: #444; }
pre { font-size: 7.5pt; white-space: pre-wrap; word-break: break-all; background: #f6f6f6;
      padding: 6pt; }
.charts svg { width: 48%; height: auto; display: inline-block; }
"""


def _number(value: int, unit: str) -> str:
    if unit == "fen":
        sign = "-" if value < 0 else ""
        value = abs(value)
        return f"{sign}¥{value // 100:,}.{value % 100:02d}"
    return f"{value:,}"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"


def _value_html(value: Any, unit: str, lang: str, key: str = "", inner: bool = False) -> str:
    if value is None:  # a median of nothing, say
        return "—"
    if isinstance(value, int) and unit == "seconds" and key != "count":
        return f"{value:,} s ({_duration(value)})"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):
        return _number(value, unit if key.endswith("fen") or unit != "fen" else "count")
    if isinstance(value, str):
        return html.escape(value + ("%" if key.endswith("percent") else ""))
    if isinstance(value, Mapping):
        if not value:
            return "—"
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th>"
            f"<td class='num'>{_value_html(v, unit, lang, str(k), inner=True)}</td></tr>"
            for k, v in value.items()
        )
        return f"<table class='inner'>{rows}</table>"
    if isinstance(value, list):
        return "<br>".join(_value_html(item, unit, lang, inner=True) for item in value) or "—"
    return html.escape(str(value))


def _chart_svg(values: Mapping[str, Any], title: str, prefix: str) -> str:
    """A bar chart of the integer values of one figure, as inline SVG text."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency(
            "the report's charts need matplotlib: pip install 'plaudit[report]'"
        ) from None

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    items = [(str(k), v) for k, v in values.items() if isinstance(v, int)]
    pyplot.rcParams["svg.fonttype"] = "none"
    pyplot.rcParams["font.family"] = "DejaVu Sans"
    figure, axes = pyplot.subplots(figsize=(4.2, 2.6))
    try:
        labels = [k for k, _ in items] or ["(none)"]
        heights = [v for _, v in items] or [0]
        bars = axes.bar(labels, heights, color="#2d6cdf")
        axes.bar_label(bars, labels=[f"{h:,}" for h in heights], fontsize=7)
        axes.set_ylim(0, max(max(heights), 1) * 1.15)  # counts: from 0, room for the labels
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title, fontsize=9)
        axes.tick_params(axis="x", labelrotation=30, labelsize=7)
        axes.tick_params(axis="y", labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg")
    finally:
        pyplot.close(figure)
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    # element ids must be unique in the page that holds several charts
    for before, after in (('id="', 'id="'), ("url(#", "url(#"), ('href="#', 'href="#')):
        svg = svg.replace(before, after + prefix)
    return svg


def _charts(report: Mapping[str, Any], lang: str) -> str:
    values = {f["key"]: f["value"] for f in report["figures"]}
    parts = []
    for key, _titles in _CHARTS:
        value = values.get(key)
        if isinstance(value, Mapping):
            parts.append(_chart_svg(value, key, f"{key}-"))
    return "".join(parts)


def render_html(report: Mapping[str, Any], lang: str) -> str:
    """The report as a self-contained HTML page in ``lang`` (``zh`` or ``en``)."""
    t = {k: v[lang] for k, v in _TEXT.items()}
    figures = {f["key"]: f for f in report["figures"]}
    period = report["period"]
    log = report["log"]
    sections = []
    for titles, keys in _SECTIONS:
        rows = []
        for key in keys:
            figure = figures.get(key)
            if figure is None:
                continue
            basis = figure["basis"]
            rows.append(
                f"<tr><td><strong>{html.escape(figure['title'][lang])}</strong>"
                f"<div class='rule'>{html.escape(figure['rule'][lang])}</div></td>"
                f"<td class='num'>{_value_html(figure['value'], figure['unit'], lang)}</td>"
                f"<td class='basis-{basis.split('+')[0]}'>{_BASIS[basis][lang]}</td></tr>"
            )
        sections.append(
            f"<h2>{titles[lang]}</h2><table><tr><th style='width:55%'>{t['figure']}</th>"
            f"<th>{t['value']}</th><th style='width:14%'>{t['basis']}</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    corrections = report.get("corrections") or []
    if corrections:
        body = "".join(
            f"<tr><td>{html.escape(c.get('period', period['label']))}</td>"
            f"<td>{html.escape(figures[c['key']]['title'][lang])}</td>"
            f"<td>{_value_html(c['before'], figures[c['key']]['unit'], lang)}</td>"
            f"<td>{_value_html(c['after'], figures[c['key']]['unit'], lang)}</td>"
            f"<td class='rule'>{html.escape(c['why'][lang])}</td></tr>"
            for c in corrections
        )
        correction_html = (
            f"<table><tr><th>{t['period']}</th><th>{t['figure']}</th><th>{t['before']}</th>"
            f"<th>{t['after']}</th>"
            f"<th>{t['why']}</th></tr>{body}</table>"
        )
    else:
        correction_html = f"<p>{t['no_corrections']}</p>"
    chart_titles = " · ".join(titles[lang] for _key, titles in _CHARTS)
    command = (
        f"plaudit report verify report.json --url &lt;URL&gt; --vkey {html.escape(log['vkey'])}"
    )
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{t["title"]} {html.escape(period["label"])}</title><style>{_CSS}</style></head>
<body>
<h1>{t["title"]} · {html.escape(period["label"])}</h1>
<p>{t["period"]}: {html.escape(period["start"])} — {html.escape(period["end"])}
(UTC, [start, end))<br>
{t["checkpoint"]}: <code>{html.escape(log["origin"])}</code>, {log["size"]:,} {t["entries"]}<br>
{t["generated"]}: {html.escape(report["generated_at"])}</p>
<p>{t["verify"]}<br><code>{command}</code></p>
<h2>{t["charts"]}</h2><p class="rule">{html.escape(chart_titles)}</p>
<div class="charts">{_charts(report, lang)}</div>
{"".join(sections)}
<h2>{t["corrections"]}</h2>{correction_html}
<h2>{t["checkpoint"]}</h2><pre>{html.escape(log["checkpoint"])}</pre>
</body></html>
"""


def write_pdf(page: str, path: Path) -> None:
    """Print an HTML page to PDF with WeasyPrint (needs pango; see README)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint found no pango library
        raise MissingDependency(
            f"the report's PDFs need WeasyPrint and pango ({exc}): pip install "
            "'plaudit[report]' and, on Debian, apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 fonts-noto-cjk"
        ) from None
    HTML(string=page).write_pdf(path)
