"""Each package's public surface is explicit (`__all__`) and pinned here: changing it is a
deliberate act that updates this test (the httpx `test_exported_members.py` pattern)."""

from __future__ import annotations

import importlib

import pytest

# Packages whose own tests pin their surface: one list each, read from there.
from tests.authenticity.test_authenticity_surface import PUBLIC as AUTHENTICITY
from tests.campaigns.test_campaigns_surface import PUBLIC as CAMPAIGNS
from tests.experiments.test_experiments_surface import PUBLIC as EXPERIMENTS
from tests.fund.test_fund_surface import PUBLIC as FUND
from tests.ledger.test_ledger_exports import PUBLIC as LEDGER
from tests.persona.test_persona_surface import PUBLIC as PERSONA
from tests.recommend.test_recommend_surface import PUBLIC as RECOMMEND

PUBLIC = {
    "plaudit.accounts": ["Account", "AccountService", "Profile", "Token"],
    "plaudit.catalog": ["CATEGORIES", "CATEGORY_IDS", "Category", "Video", "VideoService"],
    "plaudit.interactions": [
        "BulkItem",
        "Comment",
        "Device",
        "Follow",
        "FollowOutcome",
        "InteractionService",
        "ItemResult",
        "Like",
        "LikeOutcome",
        "Share",
        "ingest",
        "ingest_op",
        "ip_prefix",
    ],
    "plaudit.store": [
        "EVENTS",
        "Database",
        "UTCDateTime",
        "allocate",
        "current_revision",
        "head_revision",
        "tables",
        "utcnow",
        "holds_platform",
    ],
    "plaudit.api": ["create_app"],
    "plaudit.reports": [
        "DEFINITIONS",
        "Definition",
        "Figure",
        "Period",
        "ReportCheck",
        "build_report",
        "list_reports",
        "parse_period",
        "verify_report",
        "write_report",
    ],
    "plaudit.witness": [
        "BadSubmission",
        "Cosigned",
        "ForkDetected",
        "InconsistentCheckpoint",
        "NotSignedByLog",
        "SizeMismatch",
        "Submission",
        "UnknownLog",
        "Witness",
        "WitnessClient",
        "WitnessPublisher",
        "WitnessRefused",
        "load_or_create_witness_key",
        "parse_submission",
    ],
    "plaudit.web": ["DEMO_HANDLES", "create_demo_signins", "install_console", "read_demo_signins"],
    "plaudit.apikeys": [
        "KEY_PATTERN",
        "KEY_PREFIX",
        "ApiKey",
        "ApiKeyService",
        "grants",
        "parse_scopes",
    ],
    "plaudit.oauth": [
        "ACCESS_PREFIX",
        "APP_RESOURCES",
        "CONSENTERS",
        "REFRESH_PREFIX",
        "TOKEN_PATTERN",
        "App",
        "Authorization",
        "Consent",
        "OAuthService",
        "parse_app_scopes",
    ],
    "plaudit.webhooks": [
        "EVENT_TYPES",
        "RETRY_SCHEDULE_S",
        "Delivery",
        "Endpoint",
        "WebhookService",
        "check_target",
        "new_secret",
        "sign",
    ],
    "plaudit.client": [
        "Account",
        "ApiError",
        "ApiKey",
        "AsyncClient",
        "Authorization",
        "Client",
        "Delivery",
        "Like",
        "RateLimit",
        "Tokens",
        "Video",
        "WebhookEndpoint",
        "authorization_url",
        "verify_webhook",
    ],
    "plaudit.authenticity": AUTHENTICITY,
    "plaudit.campaigns": CAMPAIGNS,
    "plaudit.experiments": EXPERIMENTS,
    "plaudit.fund": FUND["plaudit.fund"],
    "plaudit.ledger": sorted(LEDGER),
    "plaudit.persona": PERSONA,
    "plaudit.quality": FUND["plaudit.quality"],
    "plaudit.recommend": RECOMMEND,
    "plaudit.sim": [
        "AccountColumns",
        "AccountRow",
        "AccountsChunk",
        "CHUNK_ROWS",
        "Chunk",
        "ColumnsChunk",
        "CommunitySize",
        "InteractionsChunk",
        "SIZES",
        "VideoRow",
        "VideosChunk",
        "estimate_chunks",
        "generate",
        "size_named",
    ],
    "plaudit.strategy": [
        "FanStanding",
        "MAX_APPROVALS",
        "StrategyService",
        "Suggestion",
        "parse_action_id",
        "suggest",
        "thank",
    ],
    "plaudit.cli": [],
    "plaudit.ledgerstore": ["Integrator", "LedgerService"],
    "plaudit.lake": ["ExportReport", "Manifest", "export_lake", "open_lake", "read_table"],
    "plaudit.subjects": ["CHANNELS", "export_data"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_surface_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice"


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_every_public_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_star_import_gives_exactly_the_public_names(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(PUBLIC[package])
