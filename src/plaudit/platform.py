"""The composition root: one `Platform` wires the store and the domain services together.

The API and the CLI both build a Platform from Settings, so there is exactly one place that
decides which service gets which dependency.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from plaudit.accounts import AccountService
from plaudit.authenticity.rules import RuleEngine, RuleSettings, SharedWindows
from plaudit.authenticity.service import AuthenticityService
from plaudit.campaigns import CampaignService
from plaudit.campaigns.policy import campaign_like_policy
from plaudit.catalog import VideoService
from plaudit.config import Settings
from plaudit.errors import ConfigError
from plaudit.interactions import InteractionService
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.ledgerstore.integration import Integrator
from plaudit.ledgerstore.service import LedgerService
from plaudit.store import Database
from plaudit.store.files import secure_data_dir
from plaudit.store.leader import leadership_for
from plaudit.store.rule_counters import PostgresRuleCounters

if TYPE_CHECKING:
    from plaudit.apikeys import ApiKeyService
    from plaudit.experiments import ExperimentService
    from plaudit.fund import FundService
    from plaudit.oauth import OAuthService
    from plaudit.persona.service import PersonaService
    from plaudit.quality import QualityService
    from plaudit.recommend import RecommenderService
    from plaudit.strategy import StrategyService
    from plaudit.webhooks import WebhookService
    from plaudit.witness.client import WitnessPublisher

__all__ = ["Platform"]


def _shared_windows(settings: Settings, db: Database) -> SharedWindows | None:
    """The rules' shared windows per `rules_counter_store`; None keeps them in memory."""
    mode = settings.rules_counter_store
    if mode == "auto":
        mode = "memory" if settings.is_sqlite else "postgres"
    if mode == "memory":
        return None
    if db.dialect != "postgresql":
        raise ConfigError(
            "rules_counter_store = postgres needs a PostgreSQL database; set database_url "
            "(--database-url) to one, or rules_counter_store to memory or auto"
        )
    return SharedWindows(PostgresRuleCounters(db.write_engine))


class Platform:
    """Settings, database and services of one running Plaudit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        secure_data_dir(settings.data_path)  # before any file there is opened or created
        self.db = Database(settings)
        self.accounts = AccountService(self.db, token_ttl_s=settings.token_ttl_s)
        self.videos = VideoService(self.db)
        # real-time rules: windows in this process, or shared by all on PostgreSQL (rules.py)
        self.rules = RuleEngine(
            RuleSettings.from_settings(settings),
            self.accounts.created_at,
            shared=_shared_windows(settings, self.db),
            knows_created_at=self.accounts.knows_created_at,
        )
        # incentivised likes (source campaign:<id>) are checked and recorded in the like's
        # transaction by the campaigns policy; plain likes never call it. Every like passes
        # the real-time rules in the service, whoever calls it.
        self.interactions = InteractionService(
            self.db, source_policy=campaign_like_policy, rules=self.rules
        )
        self.authenticity = AuthenticityService(self.db)
        signer = load_or_create_signer(settings.data_path, settings.ledger_origin)
        self.ledger = LedgerService(self.db, signer)
        # several API processes may share the store: one of them integrates (store/leader.py)
        self.integrator = Integrator(
            self.db,
            signer,
            settings.ledger_origin,
            interval_s=settings.checkpoint_interval_s,
            leader=leadership_for(self.db.write_engine, settings.data_path),
        )

    @cached_property
    def persona(self) -> PersonaService:
        """Segments over the persona tag index (imported on first use: NumPy is heavy)."""
        from plaudit.persona.service import PersonaService

        return PersonaService(self.db, self.settings)

    @cached_property
    def experiments(self) -> ExperimentService:
        """A/B experiments (imported on first use: the analysis needs SciPy)."""
        from plaudit.experiments import ExperimentService

        return ExperimentService(self.db)

    @cached_property
    def strategy(self) -> StrategyService:
        """Creators' insights, plans, inbox and approved actions (docs/strategy.md)."""
        from plaudit.strategy import StrategyService

        return StrategyService(
            self.db, self.interactions, lambda: self.persona, self.settings.privacy_k
        )

    @cached_property
    def recommender(self) -> RecommenderService:
        """Videos and creators to recommend; the model loads on first request
        (docs/recommender.md; imported on first use: implicit and SciPy are heavy)."""
        from plaudit.recommend import RecommenderService

        return RecommenderService(self.db, self.settings.data_path)

    @cached_property
    def fund(self) -> FundService:
        """The creator fund: periods, closing, statements (docs/fund.md)."""
        from plaudit.fund import FundService

        return FundService(self.db)

    @cached_property
    def quality(self) -> QualityService:
        """Interaction quality scores per video and per campaign (docs/fund.md)."""
        from plaudit.quality import QualityService

        return QualityService(self.db, self.settings.privacy_k)

    @cached_property
    def campaigns(self) -> CampaignService:
        """Campaigns, rewards, coupons and reports (docs/campaigns.md); segments from persona."""
        return CampaignService(
            self.db,
            lambda: self.persona,
            self.settings.reward_hold,
            self.settings.privacy_k,
            self.settings.campaigns_running_max,
        )

    def open(self, *, writer_thread: bool = False, integrate: bool = False) -> Platform:
        """Apply pending migrations; a server also starts the writer and the integrator."""
        self.db.migrate()
        if writer_thread:
            self.db.start_writer()
        if integrate:
            self.integrator.start()
            self.witness_publisher.start()
        return self

    @cached_property
    def witness_publisher(self) -> WitnessPublisher:
        """Sends each new checkpoint to the witnesses of `ledger_witness_urls`."""
        from plaudit.witness.client import WitnessPublisher, witness_clients

        clients = witness_clients(self.settings.witness_keys, self.settings.ledger_witness_urls)
        return WitnessPublisher(self.ledger, clients, self.settings.witness_interval_s)

    def close(self) -> None:
        if "witness_publisher" in self.__dict__:
            self.witness_publisher.stop()
        self.integrator.stop()
        self.db.close()
        self.rules.close()

    @cached_property
    def apikeys(self) -> ApiKeyService:
        """Scoped API keys for integrators (docs/api.md, "API keys")."""
        from plaudit.apikeys import ApiKeyService

        return ApiKeyService(self.db)

    @cached_property
    def oauth(self) -> OAuthService:
        """Third-party apps acting for creators (docs/api.md, "Third-party apps (OAuth)")."""
        from plaudit.oauth import OAuthService

        return OAuthService(self.db, self.settings)

    @cached_property
    def webhooks(self) -> WebhookService:
        """Signed webhooks from a durable outbox; a server runs its dispatcher thread."""
        from plaudit.webhooks import WebhookService

        return WebhookService(self.db, self.settings.webhooks_allow_private)
