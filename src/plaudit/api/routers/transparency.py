"""/transparency: the published transparency reports (built by `plaudit report build`).

Reports are folders under DATA_DIR/reports/; only their six known files are served, so
nothing else in the data directory can be reached through this router.
"""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from plaudit.api.deps import PlatformDep
from plaudit.errors import NotFound
from plaudit.reports.publish import REPORT_FILES, list_reports

__all__ = ["router"]

router = APIRouter(tags=["transparency"])

_FOLDER = re.compile(r"[0-9A-Za-z._-]{1,80}")
_TYPES = {
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
}


@router.get(
    "/transparency/reports.json", summary="The published transparency reports, newest first"
)
def reports_index(platform: PlatformDep) -> list[dict[str, Any]]:
    return list_reports(platform.settings.data_path / "reports")


@router.get(
    "/transparency", response_class=HTMLResponse, summary="Transparency reports (互动数据白皮书)"
)
def transparency_page(platform: PlatformDep) -> HTMLResponse:
    items = []
    for report in list_reports(platform.settings.data_path / "reports"):
        folder = html.escape(report["folder"])
        links = " · ".join(
            f"<a href='/transparency/{folder}/{name}'>{name}</a>" for name in report["files"]
        )
        items.append(
            f"<li><strong>{html.escape(report['period']['label'])}</strong> "
            f"(checkpoint size {report['checkpoint_size']:,}): {links}</li>"
        )
    body = "".join(items) or "<li>尚无报告 · No report published yet</li>"
    return HTMLResponse(
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<title>互动数据白皮书 · Transparency reports</title></head><body>"
        "<h1>互动数据白皮书 · Transparency reports</h1>"
        "<p>每个标注为账本可验证的数字都可以用 <code>plaudit report verify</code> "
        "从公开账本重新计算。"
        " Every log-verified figure can be recomputed from the public log with "
        "<code>plaudit report verify</code>.</p>"
        f"<ul>{body}</ul></body></html>"
    )


@router.get("/transparency/{folder}/{name}", summary="One file of a published report")
def report_file(folder: str, name: str, platform: PlatformDep) -> FileResponse:
    if not _FOLDER.fullmatch(folder) or folder.startswith(".") or name not in REPORT_FILES:
        raise NotFound(f"no report file {folder}/{name}; see /transparency for the list")
    path = platform.settings.data_path / "reports" / folder / name
    if not path.is_file():
        raise NotFound(f"no report file {folder}/{name}; see /transparency for the list")
    suffix = path.suffix
    return FileResponse(path, media_type=_TYPES[suffix])
