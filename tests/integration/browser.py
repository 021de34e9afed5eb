"""A real browser for the console tests: Debian's Chromium driven by Playwright.

Every page visited is checked: no console error, no failed request, no HTTP error the test did
not expect, axe-core (vendored, tests/integration/vendor) with 0 serious or critical
violations, and a screenshot saved under test-artifacts/console/ for people to look at.
Without /usr/bin/chromium the tests skip, unless PLAUDIT_REQUIRE_BROWSER=1 (CI) fails them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ARTIFACTS", "Browser", "chromium_or_skip", "open_browser"]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        if os.environ.get("PLAUDIT_REQUIRE_BROWSER") == "1":
            pytest.fail("PLAUDIT_REQUIRE_BROWSER=1 but chromium is not installed")
        pytest.skip("no chromium: `apt-get install chromium fonts-noto-cjk` to run browser tests")
    pytest.importorskip("playwright.sync_api")
    return found


class Browser:
    """One browser context in one language, with the checks every page gets."""

    def __init__(self, context: Any, base: str, lang: str) -> None:
        self.context = context
        self.base = base
        self.lang = lang
        self.page = context.pages[0] if context.pages else context.new_page()
        self.problems: list[str] = []
        self.expected_status: set[int] = set()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request: Any) -> None:
        self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.expected_status:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def goto(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def check(self, name: str) -> None:
        """Assert the page so far is clean and accessible, and save its screenshot."""
        self.page.wait_for_load_state("networkidle")
        assert not self.problems, self.problems
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}: accessibility violations {serious}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-{self.lang}.png"), full_page=True)

    def sign_in(self, handle: str, password: str) -> None:
        self.goto("/signin")
        self.page.fill("#handle", handle)
        self.page.fill("#password", password)
        self.page.locator("main form[action='/signin'] button").click()
        self.page.wait_for_load_state("networkidle")


@contextmanager
def open_browser(base: str, lang: str, profile: Path) -> Iterator[Browser]:
    """A fresh Chromium profile whose Accept-Language is `lang` (zh-CN or en)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=ARGS,
            locale="zh-CN" if lang == "zh" else "en-GB",
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield Browser(context, base, lang)
        finally:
            context.close()
