"""`platform.persona`: segment questions over the current tag index, for the API and others.

The index is loaded from `DATA_DIR/persona/` on first use and loaded again when a refresh has
swapped in a new one (the manifest file changed), so a long-running server follows
`plaudit persona refresh` without a restart. Every caller-facing answer is differentially
private (docs/segments.md, "Privacy"): noisy, rounded, suppressed below k, and charged to the
asker's privacy budget. `contains`, `member` and `size` are exact and for internal use only (a
campaign deciding whether an account is in its audience, say). Exact counts for operators go
through `exact_count`, which appends each access to `DATA_DIR/persona-access.log`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pyroaring import BitMap

from plaudit.config import Settings
from plaudit.persona.accesslog import ACCESS_LOG, append_access, read_accesses
from plaudit.persona.asker import Asker
from plaudit.persona.audience import Audience, Privacy
from plaudit.persona.budget import PrivacyBudget
from plaudit.persona.engine import ReferenceLimits, References
from plaudit.persona.index import TagIndex, index_dir
from plaudit.persona.language import parse
from plaudit.persona.privacy import index_version, load_or_create_key
from plaudit.persona.saved import SavedSegment, SavedSegments
from plaudit.store import Database

if TYPE_CHECKING:
    from plaudit.persona.compute import Progress
    from plaudit.persona.refresh import Freshness, RefreshResult

__all__ = ["ACCESS_LOG", "Asker", "PersonaService", "privacy_of"]

MEMBER_CACHE = 64  # campaign audiences kept as bitmaps, per index version


INTERNAL = Asker()


def privacy_of(settings: Settings) -> Privacy:
    """The privacy settings of answers, with this data directory's noise key."""
    return Privacy(
        k=settings.privacy_k,
        epsilon=settings.dp_epsilon,
        epsilon_insights=settings.dp_epsilon_insights,
        epsilon_overlap=settings.dp_epsilon_overlap,
        rounding=settings.privacy_round,
        key=load_or_create_key(settings.data_path),
    )


class PersonaService:
    """Audience counts, insights, overlaps, lookalikes and fan bases for one Plaudit."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.data_path = settings.data_path
        self.privacy = privacy_of(settings)
        key = self.privacy.key
        self.limits = ReferenceLimits(
            settings.segment_max_expansion, settings.segment_max_reference_depth
        )
        self.budget = PrivacyBudget(
            db, key, settings.privacy_budget, settings.privacy_budget_window_s
        )
        self.saved = SavedSegments(self.data_path)
        self._index: TagIndex | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._members: OrderedDict[tuple[str, str | None, str], BitMap] = OrderedDict()

    # ---- the index ---------------------------------------------------------------------

    def index(self) -> TagIndex:
        """The current index, loaded again if a refresh replaced it since the last call."""
        stamp = self._manifest_stamp()
        if self._index is not None and (stamp is None or stamp == self._stamp):
            return self._index  # stamp None: mid-swap; keep answering from the loaded one
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._index = self._load()
                self._stamp = stamp
            return self._index

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            info = (index_dir(self.data_path) / "manifest.json").stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns

    def _load(self) -> TagIndex:
        for _attempt in range(3):  # a refresh swapping directories mid-load: read again
            try:
                return TagIndex.load(self.data_path)
            except FileNotFoundError:
                continue
        return TagIndex.load(self.data_path)

    def audience(self, asker: Asker | None = None) -> Audience:
        """An Audience over the current index that resolves `asker`'s saved segments and
        charges its budgets (None: internal, every operator name, nothing charged)."""
        asker = asker or INTERNAL

        def pay(question: str, epsilon: float) -> None:
            self.budget.charge(asker.principals, question, epsilon)

        saved = self.saved.for_owner(asker.namespace)
        return Audience(self.index(), self.privacy, saved, pay=pay, limits=self.limits)

    # ---- exact, internal ---------------------------------------------------------------

    def validate(self, expression: str, namespace: str | None) -> None:
        """Raise the precise error an expression would give in `namespace` (its syntax,
        its saved references and their bounds), without the index."""
        References(self.saved.for_owner(namespace).get, self.limits).check(parse(expression))

    def contains(self, expression: str, account_id: int, namespace: str | None = None) -> bool:
        """Whether the account is in the segment (internal use: never shown to brands)."""
        return self.audience(Asker(namespace)).contains(expression, account_id)

    def member(self, expression: str, account_id: int, namespace: str | None = None) -> bool:
        """`contains` from a bitmap of the segment kept per index version: a campaign's
        audience is evaluated once per refresh, not once per fan's request."""
        index = self.index()
        key = (index_version(index.meta), namespace, expression)
        with self._lock:
            members = self._members.get(key)
            if members is not None:
                self._members.move_to_end(key)
        if members is None:
            members = self.audience(Asker(namespace)).select(expression)
            with self._lock:
                self._members[key] = members
                while len(self._members) > MEMBER_CACHE:
                    self._members.popitem(last=False)
        return 0 <= account_id < 2**32 and account_id in members

    def eligible(self, expression: str, organisation_id: int, account_id: int | None) -> int | str:
        """A campaign's eligible audience as its organisation sees it (a private count;
        `account_id` None: an operator at the command line, not charged)."""
        if account_id is None:
            asker = Asker(f"org:{organisation_id}")
        else:
            asker = Asker.organisation(organisation_id, account_id)
        shown: int | str = self.count(expression, asker)["count"]
        return shown

    def size(self, expression: str, namespace: str | None = None) -> int:
        """The exact size of the segment (internal use)."""
        return self.audience(Asker(namespace)).size(expression)

    def exact_count(self, expression: str, operator: str, asker: Asker | None = None) -> int:
        """An operator's exact count; the access is logged before the answer is given."""
        n = self.audience(Asker(asker.namespace if asker else None)).size(expression)
        append_access(self.data_path, operator, expression, "exact-count")
        return n

    def refresh(self, *, full: bool = False, progress: Progress | None = None) -> RefreshResult:
        """`plaudit persona refresh` for a server (the next question loads the new index)."""
        from plaudit.persona.refresh import refresh_index

        return refresh_index(self.db, self.data_path, full=full, progress=progress)

    def freshness(self) -> Freshness | None:
        """How current the index is (None before the first refresh)."""
        from plaudit.persona.refresh import freshness

        return freshness(self.db, self.data_path)

    def access_log(self, limit: int = 100) -> tuple[int, list[dict[str, str]]]:
        """The exact-count access log, newest first: (accesses in all, the last `limit`)."""
        return read_accesses(self.data_path, limit)

    # ---- private aggregates ------------------------------------------------------------

    def count(self, expression: str, asker: Asker | None = None) -> dict[str, Any]:
        """The segment's size, noisy, rounded and suppressed below k."""
        return self.audience(asker).count(expression)

    def insights(self, expression: str, asker: Asker | None = None) -> dict[str, Any]:
        return self.audience(asker).insights(expression)

    def overlap(self, expressions: list[str], asker: Asker | None = None) -> dict[str, Any]:
        return self.audience(asker).overlap(expressions)

    def fans(self, creator_id: int) -> BitMap:
        """A creator's followers who allow targeting (internal use)."""
        return self.audience().fans(self.db, creator_id)

    def fan_base(self, creator_id: int, asker: Asker | None = None) -> dict[str, Any]:
        return self.audience(asker).fan_base(self.db, creator_id)

    def lookalike(
        self,
        size: int,
        *,
        expression: str | None = None,
        creator_id: int | None = None,
        asker: Asker | None = None,
        save_as: str | None = None,
    ) -> dict[str, Any]:
        """Expand a seed (an expression or a creator's fans) to `size` similar accounts.

        The answer describes the audience (size, method, driving tags); with `save_as` the
        members are saved as that segment in the asker's namespace, to use by name, never
        to read.
        """
        audience = self.audience(asker)
        if creator_id is not None:
            seed, label = audience.fans(self.db, creator_id), f"fans of creator {creator_id}"
        else:
            assert expression is not None, "a lookalike needs an expression or a creator"
            seed, label = audience.select(expression), expression
        members, about = audience.lookalike(seed, size, label)
        if save_as is not None:
            namespace = asker.namespace if asker else None
            saved = self.saved.for_owner(namespace).save_audience(
                save_as, members, f"lookalike of {label}, {size} accounts"
            )
            about["saved_as"] = saved.name
        return about

    # ---- saved segments ----------------------------------------------------------------

    def save_segment(self, name: str, expression: str, asker: Asker | None) -> SavedSegment:
        """Save an expression in the asker's namespace; an existing name there (or an
        operators' one) is a conflict (names are not reused). Its references are checked."""
        namespace = asker.namespace if asker else None
        self.validate(expression, namespace)
        return self.saved.for_owner(namespace).save(name, expression, replace=False)

    def saved_segments(self, asker: Asker | None) -> list[SavedSegment]:
        return self.saved.for_owner(asker.namespace if asker else None).entries()

    def saved_segment(self, name: str, asker: Asker | None) -> SavedSegment:
        return self.saved.for_owner(asker.namespace if asker else None).entry(name)
