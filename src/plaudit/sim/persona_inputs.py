"""The persona index's inputs, kept from the demo load's own arrays (issue #18).

After a demo load, `plaudit demo` builds the persona index. Reading the medium demo's 20M
interactions back out of the database it has just written took about 180 s of CPU (SQLite's
`strftime` on every row, the pages copied out of a 4 GB file), more than a third of the
command. The set-based loader (`plaudit.sim.setload`) already holds every value the tags are
computed from, so it hands them to a `PersonaInputs` as it writes each chunk, and this class
serves them to `plaudit.persona.compute.compute_from` as a `Source`, exactly as the store would:
accounts with their profiles, standing likes and every comment with the video's category and
the second, shares, one row per distinct (account, device) liked from, standing follows
counted per follower and per creator. `tests/sim/test_sim_persona_inputs.py` checks that the
index built from them equals the one built from the database, on SQLite and PostgreSQL.

Only a full build of the whole community is served (the demo's index is a first one); an
incremental refresh reads the database as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES
from plaudit.errors import StorageError
from plaudit.persona.compute import (
    CODED_FIELDS,
    Devices,
    Events,
    Follows,
    ProfileColumns,
    coded_of,
)
from plaudit.persona.devices import DEVICE_CLASSES, device_class
from plaudit.sim.devices import USER_AGENTS
from plaudit.sim.records import AccountColumns, AccountRow, AccountsChunk, VideosChunk

__all__ = ["PersonaInputs"]

_I64 = NDArray[np.int64]
_CATEGORY_NUMBER = {c.id: i for i, c in enumerate(CATEGORIES)}
# the persona device class number of each generated user agent (USER_AGENTS index)
_AGENT_CLASS = np.array(
    [DEVICE_CLASSES.index(device_class(agent)) for agent in USER_AGENTS], dtype=np.int8
)


class _Rows:
    """Columns appended chunk by chunk (ids handed out 1, 2, ... in order), with the ids
    of the rows removed later (an unlike, an unfollow)."""

    def __init__(self, *names: str) -> None:
        self._parts: dict[str, list[NDArray[np.generic]]] = {name: [] for name in names}
        self._removed: list[_I64] = []
        self.count = 0

    def add(self, first_id: int | None, **columns: NDArray[np.generic]) -> None:
        """Append a chunk's rows; `first_id` (None: no rows, or ids that do not matter) must
        follow on from the rows so far: positions are ids less one."""
        if (
            first_id is not None
            and len(next(iter(columns.values())))
            and first_id != self.count + 1
        ):
            raise StorageError(
                f"the persona inputs expected id {self.count + 1:,} next, got {first_id:,}: "
                "they follow a load into an empty database only"
            )
        for name, values in columns.items():
            self._parts[name].append(values)
        self.count += len(next(iter(columns.values())))

    def remove(self, ids: _I64) -> None:
        self._removed.append(ids)

    def column(self, name: str) -> NDArray[np.generic]:
        parts = self._parts[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def standing(self) -> NDArray[np.bool_]:
        """True for each row not removed."""
        keep = np.ones(self.count, dtype=np.bool_)
        if self._removed:
            keep[np.concatenate(self._removed) - 1] = False
        return keep


class PersonaInputs:
    """compute.Source over what the set-based loader wrote (see the module doc)."""

    def __init__(self) -> None:
        self._profiles: list[ProfileColumns] = []
        self._top = 0
        self._category_of = np.full(1, -1, dtype=np.int8)  # video id -> category number
        self._likes = _Rows("account", "category", "t", "device", "cls")
        self._comments = _Rows("account", "category", "t")
        self._shares = _Rows("account", "t")
        self._follows = _Rows("follower", "creator")

    # -- recorded by the loader, chunk by chunk ------------------------------------------

    def note(self, chunk: AccountsChunk | AccountColumns | VideosChunk) -> None:
        """Keep an accounts chunk's profile columns, or a videos chunk's categories."""
        if isinstance(chunk, AccountColumns):
            self._profiles.append(_profile_of_columns(chunk))
            self._top = max(self._top, int(chunk.ids.max()))
            return
        if isinstance(chunk, AccountsChunk):
            self._profiles.append(_profile_columns(chunk.rows))
            self._top = max(self._top, max(r.id for r in chunk.rows))
            return
        ids = np.array([r.id for r in chunk.rows], dtype=np.int64)
        if int(ids.max()) >= len(self._category_of):
            grown = np.full(int(ids.max()) + 1, -1, dtype=np.int8)
            grown[: len(self._category_of)] = self._category_of
            self._category_of = grown
        self._category_of[ids] = [_CATEGORY_NUMBER.get(r.category, -1) for r in chunk.rows]

    def add_likes(
        self, ids: _I64, account: _I64, video: _I64, t: _I64, device: _I64, agent: NDArray[np.intp]
    ) -> None:
        """A chunk's likes in id order, with each one's device id and user agent index."""
        first = int(ids[0]) if len(ids) else None
        self._likes.add(
            first,
            account=account.astype(np.int32),
            category=self._category_of[video],
            t=_narrowed(t, np.uint32, "a like's second"),
            device=_narrowed(device, np.int32, "a device id"),
            cls=_AGENT_CLASS[agent],
        )

    def remove_likes(self, ids: _I64) -> None:
        self._likes.remove(ids)

    def add_follows(self, ids: _I64, follower: _I64, creator: _I64) -> None:
        first = int(ids[0]) if len(ids) else None
        self._follows.add(
            first, follower=follower.astype(np.int32), creator=creator.astype(np.int32)
        )

    def remove_follows(self, ids: _I64) -> None:
        self._follows.remove(ids)

    def add_comments(self, account: _I64, video: _I64, t: _I64) -> None:
        self._comments.add(
            None, account=account.astype(np.int32), category=self._category_of[video], t=t
        )

    def add_shares(self, account: _I64, t: _I64) -> None:
        self._shares.add(None, account=account.astype(np.int32), t=t)

    # -- compute.Source ------------------------------------------------------------------

    def top(self) -> int:
        """The largest account id."""
        return self._top

    def profiles(self, build: object) -> Iterator[ProfileColumns]:
        """The accounts' profile columns, chunk by chunk as they were loaded."""
        yield from self._profiles

    def events(self, build: object) -> Events:
        """Standing likes and comments (account, category, second); shares (account, second)."""
        standing = self._likes.standing()
        likes = _matrix(self._likes, ("account", "category", "t"), standing)
        comments = _matrix(self._comments, ("account", "category", "t"), None)
        shares = _matrix(self._shares, ("account", "t"), None)
        return {"likes": likes, "comments": comments, "shares": shares}

    def devices(self, build: object) -> Devices:
        """One (account, class number) per distinct device each account liked from (removed
        likes included, as the store's query reads them)."""
        account = self._likes.column("account").astype(np.int64)
        pair = (account << 32) | self._likes.column("device").astype(np.int64)
        _pairs, first = np.unique(pair, return_index=True)
        classes: _I64 = self._likes.column("cls")[first].astype(np.int64)
        return account[first], classes

    def follows(self, build: object) -> Follows:
        """Standing follows counted per follower and per creator: (ids, counts) each."""
        standing = self._follows.standing()
        found = []
        for name in ("follower", "creator"):
            counts = np.bincount(self._follows.column(name)[standing].astype(np.int64))
            ids = np.flatnonzero(counts)
            found.append((ids.astype(np.int64), counts[ids].astype(np.int64)))
        return found[0], found[1]


def _narrowed(values: _I64, dtype: type[np.unsignedinteger[Any] | np.signedinteger[Any]],
              what: str) -> NDArray[np.generic]:  # fmt: skip
    """`values` in a narrower integer type (14 bytes a like kept instead of 22: 0.4 GB less
    at the large demo's 50M likes), refusing any that would not fit."""
    limits = np.iinfo(dtype)
    if len(values) and (values.min() < limits.min or values.max() > limits.max):
        raise StorageError(f"{what} outside {limits.min}..{limits.max} cannot be kept")
    return values.astype(dtype)


def _matrix(
    rows: _Rows, names: tuple[str, ...], keep: NDArray[np.bool_] | None
) -> NDArray[np.float64]:
    """The named columns side by side as float64 (what the store's reader hands over)."""
    columns = [rows.column(name) for name in names]
    if keep is not None:
        columns = [c[keep] for c in columns]
    return np.column_stack([c.astype(np.float64) for c in columns]).reshape(-1, len(names))


def _profile_of_columns(chunk: AccountColumns) -> ProfileColumns:
    """`_profile_columns` of the same accounts, from their columns."""
    n = len(chunk)
    values = {
        "kind": chunk.kinds(),
        "gender": chunk.gender,
        "province": chunk.province,
        "city": chunk.city,
        "city_tier": chunk.city_tier,
        "spend": chunk.spending_band,
    }
    return ProfileColumns(
        ids=chunk.ids.astype(np.int64),
        created=chunk.created.astype(np.float64),
        birth_year=chunk.birth_year.astype(np.int64),
        consent=chunk.consent_targeting.astype(bool),
        coded={name: coded_of(values[name].tolist(), n) for name in CODED_FIELDS},
    )


def _profile_columns(rows: list[AccountRow]) -> ProfileColumns:
    """An accounts chunk as the store's profile reader hands it over: whole seconds, -1 for
    no birth year, text columns coded (NULL as "")."""
    n = len(rows)
    values = {
        "kind": (r.kind for r in rows),
        "gender": (r.gender for r in rows),
        "province": (r.province for r in rows),
        "city": (r.city for r in rows),
        "city_tier": (r.city_tier for r in rows),
        "spend": (r.spending_band for r in rows),
    }
    return ProfileColumns(
        ids=np.fromiter((r.id for r in rows), dtype=np.int64, count=n),
        created=np.fromiter((int(r.created_at.timestamp()) for r in rows), np.float64, count=n),
        birth_year=np.fromiter((r.birth_year or -1 for r in rows), dtype=np.int64, count=n),
        consent=np.fromiter((bool(r.consent_targeting) for r in rows), dtype=bool, count=n),
        coded={name: coded_of(values[name], n) for name in CODED_FIELDS},
    )
