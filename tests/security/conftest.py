"""A live Plaudit for the attack replays: `plaudit serve` on 127.0.0.1 and a free port.

One server per engine per module (starting one takes seconds). Before it starts, the store
is prepared the way an operator would (`plaudit accounts create --kind gateway|brand`), with a
creator, videos, an organisation and a coupon campaign, so every finding can be replayed
with plain HTTP against the running process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaudit.campaigns.model import CampaignSpec
from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from tests.conftest import _drop_postgres_database, _fresh_postgres_database, postgres_admin_url
from tests.integration.server import running_server


@dataclass
class Live:
    """The running server and what was prepared in its store."""

    base: str
    settings: Settings
    client: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def fan(self, handle: str) -> tuple[int, dict[str, str]]:
        response = self.client.post("/v1/accounts", json={"handle": handle})
        assert response.status_code == 201, response.text
        body = response.json()
        return int(body["id"]), {"Authorization": f"Bearer {body['token']}"}


def _prepare(settings: Settings) -> tuple[dict[str, str], dict[str, Any]]:
    platform = Platform(settings).open()
    try:
        tokens: dict[str, str] = {}
        ids: dict[str, Any] = {}
        for handle, kind in (
            ("gateway", "gateway"),
            ("acme", "brand"),
            ("rival", "brand"),
            ("creator", "creator"),
        ):
            account, token = platform.accounts.create(handle, kind)
            tokens[handle], ids[handle] = token, account.id
        ids["videos"] = [
            platform.videos.publish(ids["creator"], f"clip {i}", "food").id for i in range(3)
        ]
        org = platform.campaigns.create_organisation(ids["acme"], "Acme")
        ids["org"] = org.id
        now = datetime.now(UTC)
        spec = CampaignSpec(
            "winter coupons",
            "coupon",
            "gender = female",
            now - timedelta(days=1),
            now + timedelta(days=7),
            100_000,
            2_000,
            tuple(ids["videos"][:2]),
        )
        ids["campaign"] = platform.campaigns.create_campaign(ids["acme"], org.id, spec).id
    finally:
        platform.close()
    return tokens, ids


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    folder: Path = tmp_path_factory.mktemp("live")
    settings = load_settings(flags={"data_dir": str(folder / "data")}, env={})
    drop: tuple[str, str] | None = None
    if request.param == "postgres":
        admin = postgres_admin_url()
        assert admin is not None
        url, name = _fresh_postgres_database(admin)
        drop = (admin, name)
        settings = settings.with_values(database_url=url)
    try:
        tokens, ids = _prepare(settings)
        with (
            running_server(settings, folder / "server.log") as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            yield Live(base, settings, client, tokens, ids)
    finally:
        if drop is not None:
            _drop_postgres_database(*drop)
