"""The console's in-browser checkpoint checks require witness cosignatures and a quorum, as
`plaudit ledger verify --witness KEY --quorum N` does: Debian's Chromium against a live
`plaudit serve` configured with three witnesses, two of them real `plaudit witness serve`
processes that cosign its checkpoints and one that is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plaudit.config import Settings, load_settings
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.platform import Platform
from plaudit.web.signin import SignIns
from plaudit.witness.keystore import load_or_create_witness_key
from tests.integration.browser import Browser, chromium_or_skip, open_browser
from tests.integration.server import free_port, running_server

pytestmark = pytest.mark.slow

NAMES = ["witness.example/w1", "witness.example/w2", "witness.example/down"]
PASSWORD = "witnessed-fan-password"


def _start_witness(name: str, folder: Path, log_vkey: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "plaudit", "witness", "serve", "--name", name]
    command += ["--log", log_vkey, "--data-dir", str(folder), "--port", str(port)]
    with (folder / "witness.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, (folder / "witness.log").read_text()
        try:
            httpx.get(url + "/", timeout=1)
            return process, url
        except httpx.HTTPError:
            assert time.monotonic() < deadline, (folder / "witness.log").read_text()
            time.sleep(0.1)


def _fan_with_a_password(settings: Settings) -> None:
    platform = Platform(settings).open()
    try:
        fan, _ = platform.accounts.create("witnessed-fan")
        SignIns(platform.db).set_password(fan.id, PASSWORD)
        creator, _ = platform.accounts.create("witnessed-maker", "creator")
        platform.videos.publish(creator.id, "clip", "food")
    finally:
        platform.close()


def _like_and_wait_for_cosignatures(base: str, settings: Settings) -> None:
    platform = Platform(settings)  # only to issue the fan a token for the API
    try:
        token = platform.accounts.issue_token(1)
    finally:
        platform.close()
    answer = httpx.post(f"{base}/v1/videos/1/likes", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201), answer.text
    deadline = time.monotonic() + 30
    while True:
        note = httpx.get(base + "/ledger/checkpoint").text
        if note.split("\n")[1] != "0" and all(f"— {name} " in note for name in NAMES[:2]):
            return
        assert time.monotonic() < deadline, note
        time.sleep(0.2)


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A live server, its three witnesses' keys (the last one down), checkpoints cosigned."""
    chromium_or_skip()
    root = tmp_path_factory.mktemp("witnessed")
    settings = load_settings(flags={"data_dir": str(root / "data")}, env={})
    log_vkey = load_or_create_signer(settings.data_path, settings.ledger_origin).verifier()
    keys, urls, processes = [], [], []
    try:
        for index, name in enumerate(NAMES):
            folder = root / f"witness{index}"
            folder.mkdir()
            keys.append(load_or_create_witness_key(folder, name).verifier().key_string)
            if name.endswith("/down"):
                urls.append(f"{name}=http://127.0.0.1:{free_port()}")  # nothing listens there
                continue
            process, url = _start_witness(name, folder, log_vkey.key_string)
            processes.append(process)
            urls.append(f"{name}={url}")
        _fan_with_a_password(settings)
        env = {
            "PLAUDIT_LEDGER_WITNESSES": ",".join(keys),
            "PLAUDIT_LEDGER_WITNESS_URLS": " ".join(urls),
            "PLAUDIT_WITNESS_INTERVAL_S": "0.2",
        }
        os.environ.update(env)
        try:
            with running_server(settings, root / "server.log") as base:
                _like_and_wait_for_cosignatures(base, settings)
                yield base, keys
        finally:
            for variable in env:
                os.environ.pop(variable, None)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture(params=["zh", "en"])
def browser(
    request: pytest.FixtureRequest, witnessed: tuple[str, list[str]], tmp_path: Path
) -> Iterator[Browser]:
    with open_browser(witnessed[0], request.param, tmp_path / "profile") as opened:
        yield opened


def _check(browser: Browser, form: str, result: str) -> tuple[str | None, str]:
    page = browser.page
    page.evaluate(f"document.getElementById('{result}').removeAttribute('data-verdict')")
    page.locator(f"#{form} button").click()
    page.wait_for_selector(f"#{result}[data-verdict]")
    found = page.locator(f"#{result}")
    return found.get_attribute("data-verdict"), str(found.inner_text())


def test_the_audit_page_requires_a_quorum_of_cosignatures(
    browser: Browser, witnessed: tuple[str, list[str]]
) -> None:
    _base, keys = witnessed
    page = browser.goto("/ledger-audit")
    # the server's three witnesses are filled in, and by default all of them are required
    assert page.locator("#witnesses").input_value().split() == keys
    assert page.locator("#quorum").input_value() == "3"
    verdict, text = _check(browser, "consistency-form", "consistency-result")
    assert verdict == "invalid", text
    assert "witness.example/w1, witness.example/w2" in text  # who cosigned, not the one down
    assert "witness.example/down" not in text
    browser.check("audit-witnesses")
    page.fill("#quorum", "2")  # one witness is down: 2 of 3 still vouch for the checkpoint
    verdict, text = _check(browser, "consistency-form", "consistency-result")
    assert verdict == "valid", text
    # the witness that is down alone cannot make a quorum of 1
    page.fill("#witnesses", keys[2])
    page.fill("#quorum", "1")
    assert _check(browser, "consistency-form", "consistency-result")[0] == "invalid"
    # one witness's key given twice does not count twice
    page.fill("#witnesses", f"{keys[0]}\n{keys[0]}")
    page.fill("#quorum", "2")
    verdict, text = _check(browser, "consistency-form", "consistency-result")
    assert verdict == "invalid"
    assert "given twice" in text
    page.fill("#quorum", "5")
    page.fill("#witnesses", "\n".join(keys[:2]))
    verdict, text = _check(browser, "consistency-form", "consistency-result")
    assert verdict == "invalid"
    assert "quorum of 5" in text
    # without witnesses the page checks what it checked before: signatures and consistency
    page.fill("#witnesses", "")
    page.fill("#quorum", "")
    assert _check(browser, "consistency-form", "consistency-result")[0] == "valid"


def test_a_receipt_without_the_cosignatures_is_refused(browser: Browser) -> None:
    browser.sign_in("witnessed-fan", PASSWORD)
    page = browser.goto("/me/likes")
    page.locator("a[href$='/verify']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#quorum", "2")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))  # the check asks the server nothing
    verdict, text = _check(browser, "verify-form", "verify-result")
    assert verdict == "valid", text
    assert requests == []
    browser.check("verify-witnesses")
    # the same receipt with the witnesses' lines taken out: the log's signature still holds,
    # but a quorum of witnesses no longer vouches for its checkpoint
    receipt = page.locator("#receipt").input_value()
    bare = "\n".join(line for line in receipt.split("\n") if "witness.example" not in line)
    page.fill("#receipt", bare)
    verdict, text = _check(browser, "verify-form", "verify-result")
    assert verdict == "invalid", text
    page.fill("#quorum", "")
    page.fill("#witnesses", "")
    assert _check(browser, "verify-form", "verify-result")[0] == "valid"
