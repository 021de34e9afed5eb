"""The set-based demo loader: what bulk ingest decides, computed on a chunk's arrays.

The reference path (`plaudit.interactions.ingest`, one call per chunk) turns every generated
interaction into a `BulkItem`, applies it in order against state looked up in the database,
and writes the rows; at about 40 µs an interaction it took most of the 20 minutes of a medium
demo (issue #18). Here the same decisions are made with array operations on a `ColumnsChunk`,
and only the final rows are made as tuples:

- ids per table and event seqs are handed out in item order, as `ingest` reserves them;
- a device new in a chunk gets its id in the order of (device key, user agent), as
  `BulkSQL.device_ids` sorts them, first seen at the chunk's earliest time;
- an unlike (unfollow) finds the like (follow) it removes in a map of every pair made so far
  (sorted runs of keys, merged like a binary counter), marks that row removed, and its event
  refers to it;
- video and creator counters move by the same net changes.

Anything the reference would refuse (an unknown account or video, a follow of a non-creator
or of oneself, an unlike without an active like, a second unlike) aborts the load, as the
reference does; a pair liked twice while active cannot be written either, since the active
pairs' unique indexes are built at the end. `tests/sim/test_sim_setload.py` loads the same
community both ways and compares every table, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plaudit.errors import StorageError
from plaudit.interactions.bulk_model import KINDS
from plaudit.interactions.model import SHARE_CHANNELS, validate_body, validate_channel
from plaudit.sim.devices import USER_AGENTS
from plaudit.sim.emit import device_keys, ip_prefixes, time_stamps
from plaudit.sim.events import COMMENT, FOLLOW, LIKE, SHARE, UNFOLLOW, UNLIKE
from plaudit.sim.networks import network_codes
from plaudit.sim.pairs import pair_keys
from plaudit.sim.persona_inputs import PersonaInputs
from plaudit.sim.records import AccountColumns, AccountsChunk, ColumnsChunk, VideosChunk
from plaudit.sim.texts import COMMENT_BODIES
from plaudit.store.bulk import COMMENT_COLUMNS, FOLLOW_COLUMNS, LIKE_COLUMNS, SHARE_COLUMNS, BulkSQL
from plaudit.store.sequence import EVENTS, allocate

__all__ = ["SetLoader"]

_I64 = NDArray[np.int64]
_KIND_NAMES = np.array(KINDS, dtype=object)
_SOURCES = np.array(["app", "web"], dtype=object)
# what `ingest` stores for each generated body and channel (validated once, not per item)
_BODIES = np.array([validate_body(b) for b in COMMENT_BODIES], dtype=object)
_CHANNELS = np.array([validate_channel(c) for c in SHARE_CHANNELS], dtype=object)
_AGENTS = np.array(USER_AGENTS, dtype=object)
# a user agent's rank in string order: (key << 5 | rank) sorts as (key text, agent text) do
_AGENT_RANK = np.argsort(np.argsort(np.array(USER_AGENTS, dtype=object))).astype(np.int64)
_AGENT_BITS = 5
assert len(USER_AGENTS) <= 1 << _AGENT_BITS
_VIDEO_KINDS = np.array([k in (LIKE, UNLIKE, COMMENT, SHARE) for k in range(len(KINDS))])


class _IdMap:
    """int64 key -> id, for keys added once each: sorted runs, the last two merged while
    the newer is at least as long, so a key is merged O(log n) times and a lookup is one
    binary search per run (at most about log2 of the chunks)."""

    def __init__(self) -> None:
        self._runs: list[tuple[_I64, _I64]] = []

    def add(self, keys: _I64, ids: _I64) -> None:
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], ids[order]))
        while len(self._runs) > 1 and len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            (k2, i2), (k1, i1) = self._runs.pop(), self._runs.pop()
            keys_all, ids_all = np.concatenate([k1, k2]), np.concatenate([i1, i2])
            order = np.argsort(keys_all, kind="stable")  # two sorted runs: a merge
            self._runs.append((keys_all[order], ids_all[order]))

    def find(self, keys: _I64) -> _I64:
        """The id of each key, -1 where it was never added."""
        found = np.full(len(keys), -1, dtype=np.int64)
        for run_keys, run_ids in self._runs:
            at = np.minimum(np.searchsorted(run_keys, keys), len(run_keys) - 1)
            hit = run_keys[at] == keys
            found[hit] = run_ids[at[hit]]
        return found


class _Removals:
    """Which ids of a table were removed already (a second unlike is refused)."""

    def __init__(self) -> None:
        self._done = np.zeros(1 << 16, dtype=np.bool_)

    def mark(self, ids: _I64) -> bool:
        """Mark `ids` removed; False when one was removed already or appears twice."""
        if not len(ids):
            return True
        top = int(ids.max())
        if top >= len(self._done):
            grown = np.zeros(max(top + 1, 2 * len(self._done)), dtype=np.bool_)
            grown[: len(self._done)] = self._done
            self._done = grown
        if self._done[ids].any() or len(np.unique(ids)) != len(ids):
            return False
        self._done[ids] = True
        return True


class _Next:
    """The next id of each table (ids start at 1 in an empty database, as `ingest`'s do)."""

    def __init__(self) -> None:
        self.likes = self.follows = self.comments = self.shares = self.devices = 1

    def take(self, table: str, count: int) -> _I64:
        first: int = getattr(self, table)
        setattr(self, table, first + count)
        return np.arange(first, first + count, dtype=np.int64)


class SetLoader:
    """Writes a generated community's interaction chunks as `ingest` would, set-based.

    It must see the accounts and videos chunks first (`note`), for the checks and the
    creators behind the counters; `write` takes one `ColumnsChunk` in the caller's
    transaction, `flush_counters` writes the counters' changes so far. With `persona`, it
    also hands that collector what the persona index is computed from, as it writes it.
    """

    def __init__(self, persona: PersonaInputs | None = None) -> None:
        self._persona = persona
        self._accounts = 0
        self._is_creator = np.zeros(1, dtype=np.bool_)
        self._creator_of = np.zeros(1, dtype=np.int64)
        self._next = _Next()
        self._likes, self._follows, self._devices = _IdMap(), _IdMap(), _IdMap()
        self._unliked, self._unfollowed = _Removals(), _Removals()
        self._video_deltas = np.zeros((1, 3), dtype=np.int64)  # likes, comments, shares
        self._creator_deltas = np.zeros((1, 3), dtype=np.int64)  # likes, followers, videos

    def note(self, chunk: AccountsChunk | AccountColumns | VideosChunk) -> None:
        """Remember the accounts (and which are creators) and the videos' creators."""
        if self._persona is not None:
            self._persona.note(chunk)
        if isinstance(chunk, AccountsChunk | AccountColumns):
            if isinstance(chunk, AccountColumns):
                ids, creators = chunk.ids, chunk.ids[chunk.is_creator]
            else:
                ids = np.array([r.id for r in chunk.rows], dtype=np.int64)
                creators = ids[[r.kind == "creator" for r in chunk.rows]]
            top = int(ids.max())
            self._accounts = max(self._accounts, top)
            self._is_creator = _grown(self._is_creator, top + 1)
            self._is_creator[creators] = True
            self._creator_deltas = _grown(self._creator_deltas, top + 1)
            return
        top = max(r.id for r in chunk.rows)
        self._creator_of = _grown(self._creator_of, top + 1)
        self._creator_of[[r.id for r in chunk.rows]] = [r.creator_id for r in chunk.rows]
        self._video_deltas = _grown(self._video_deltas, top + 1)

    def write(self, sql: BulkSQL, conn: Any, chunk: ColumnsChunk) -> int:
        """Write one chunk's rows and events; returns how many interactions it held."""
        ev, where = chunk.events, chunk.where
        n = len(ev)
        if not n:
            return 0
        kind = ev.kind.astype(np.intp)
        self._check(kind, ev.account, ev.target)
        seconds, at_index = np.unique(ev.t, return_inverse=True)
        stamps = _time_values(sql, seconds)
        at = stamps[at_index]
        device = self._device_ids(sql, where.device, where.agent, stamps[0])
        source = _SOURCES[where.web.astype(np.intp)]
        prefix = np.array(ip_prefixes(where.prefix), dtype=object)
        ref = np.zeros(n, dtype=np.int64)  # each event's row id

        likes = np.flatnonzero(kind == LIKE)
        like_ids = self._next.take("likes", len(likes))
        ref[likes] = like_ids
        self._likes.add(pair_keys(ev.account[likes], ev.target[likes]), like_ids)
        unlikes = np.flatnonzero(kind == UNLIKE)
        unliked = self._removed(
            "likes", self._likes, self._unliked, ev.account, ev.target, unlikes, likes
        )
        ref[unlikes] = unliked
        if self._persona is not None:
            self._persona.add_likes(like_ids, ev.account[likes], ev.target[likes], ev.t[likes],
                                    device[likes], where.agent[likes])  # fmt: skip
            self._persona.remove_likes(unliked)
        like_rows: dict[str, NDArray[Any]] = {
            "id": like_ids,
            "account_id": ev.account[likes],
            "video_id": ev.target[likes],
            "source": source[likes],
            "device_id": device[likes],
            "ip_prefix": prefix[likes],
            "created_at": at[likes],
            "removed_at": np.full(len(likes), None, dtype=object),
            "removed_source": np.full(len(likes), None, dtype=object),
            "network": network_codes(where.prefix[likes]),
        }
        earlier = self._mark_removed(like_rows, like_ids, unliked, unlikes, at, source)
        sql.remove("likes", _rows([at[unlikes][earlier], source[unlikes][earlier],
                                   unliked[earlier]]), with_source=True)  # fmt: skip
        sql.insert("likes", LIKE_COLUMNS, _rows(_in_order(like_rows, LIKE_COLUMNS)))

        follows = np.flatnonzero(kind == FOLLOW)
        follow_ids = self._next.take("follows", len(follows))
        ref[follows] = follow_ids
        self._follows.add(pair_keys(ev.account[follows], ev.target[follows]), follow_ids)
        unfollows = np.flatnonzero(kind == UNFOLLOW)
        unfollowed = self._removed(
            "follows", self._follows, self._unfollowed, ev.account, ev.target, unfollows, follows
        )
        ref[unfollows] = unfollowed
        if self._persona is not None:
            self._persona.add_follows(follow_ids, ev.account[follows], ev.target[follows])
            self._persona.remove_follows(unfollowed)
        follow_rows: dict[str, NDArray[Any]] = {
            "id": follow_ids,
            "follower_id": ev.account[follows],
            "creator_id": ev.target[follows],
            "source": source[follows],
            "created_at": at[follows],
            "removed_at": np.full(len(follows), None, dtype=object),
        }
        earlier = self._mark_removed(follow_rows, follow_ids, unfollowed, unfollows, at, None)
        sql.remove("follows", _rows([at[unfollows][earlier], unfollowed[earlier]]), False)
        sql.insert("follows", FOLLOW_COLUMNS, _rows(_in_order(follow_rows, FOLLOW_COLUMNS)))

        for table, code, columns, texts in (
            ("comments", COMMENT, COMMENT_COLUMNS, _BODIES),
            ("shares", SHARE, SHARE_COLUMNS, _CHANNELS),
        ):
            mine = np.flatnonzero(kind == code)
            ids = self._next.take(table, len(mine))
            ref[mine] = ids
            made = {
                "id": ids,
                "account_id": ev.account[mine],
                "video_id": ev.target[mine],
                "body" if code == COMMENT else "channel": texts[ev.extra[mine]],
                "source": source[mine],
                "device_id": device[mine],
                "ip_prefix": prefix[mine],
                "created_at": at[mine],
            }
            sql.insert(table, columns, _rows(_in_order(made, columns)))
            if self._persona is not None:
                self._keep_for_persona(code, ev.account[mine], ev.target[mine], ev.t[mine])

        self._count(kind, ev.target)
        first = allocate(conn, EVENTS, n)
        sql.insert(
            "events",
            ("seq", "kind", "ref_id"),
            _rows([np.arange(first, first + n, dtype=np.int64), _KIND_NAMES[kind], ref]),
        )
        return n

    def _keep_for_persona(self, code: int, account: _I64, video: _I64, t: _I64) -> None:
        assert self._persona is not None
        if code == COMMENT:
            self._persona.add_comments(account, video, t)
        else:
            self._persona.add_shares(account, t)

    def flush_counters(self, sql: BulkSQL) -> None:
        """Add the counters' changes since the last flush (as `ingest` adds its deltas)."""
        for deltas, add in (
            (self._video_deltas, sql.add_video_counters),
            (self._creator_deltas, sql.add_creator_counters),
        ):
            changed = np.flatnonzero(deltas.any(axis=1))
            add(dict(zip(changed.tolist(), deltas[changed].tolist(), strict=True)))
            deltas[changed] = 0

    def release(self) -> None:
        """Drop the maps of every pair and device made (about 16 bytes a row): nothing more
        can be written after this, only `flush_counters` and `finish`."""
        self._likes, self._follows, self._devices = _IdMap(), _IdMap(), _IdMap()
        self._unliked, self._unfollowed = _Removals(), _Removals()

    def finish(self, sql: BulkSQL) -> None:
        """PostgreSQL: move the tables' id sequences past the ids handed out here."""
        for table in ("likes", "follows", "comments", "shares", "devices"):
            sql.sync_sequence(table)

    def _check(self, kind: NDArray[np.intp], account: _I64, target: _I64) -> None:
        """Refuse the chunk, as `ingest`'s errors abort the reference load, on what ingest
        would refuse item by item: unknown accounts and videos, bad follows."""
        if account.min() < 1 or account.max() > self._accounts:
            raise _refused(f"an account outside 1..{self._accounts}")
        on_video = _VIDEO_KINDS[kind]
        videos = target[on_video]
        if len(videos) and (videos.min() < 1 or videos.max() >= len(self._creator_of)):
            raise _refused(f"a video outside 1..{len(self._creator_of) - 1}")
        followed = target[~on_video]
        if len(followed) and (followed.min() < 1 or followed.max() > self._accounts):
            raise _refused("a follow of an unknown account")
        if not self._is_creator[followed].all():
            raise _refused("a follow of an account that is not a creator")
        if (followed == account[~on_video]).any():
            raise _refused("an account following itself")

    def _device_ids(
        self, sql: BulkSQL, device: NDArray[np.uint64], agent: NDArray[np.intp], first_seen: Any
    ) -> _I64:
        """Each item's device id, registering the chunk's new devices (key, agent) in their
        text order with the chunk's first time, as `BulkSQL.device_ids` does."""
        keys = (device.astype(np.int64) << _AGENT_BITS) | _AGENT_RANK[agent]
        distinct, index = np.unique(keys, return_inverse=True)
        ids = self._devices.find(distinct)
        new = np.flatnonzero(ids < 0)
        new_ids = self._next.take("devices", len(new))
        ids[new] = new_ids
        self._devices.add(distinct[new], new_ids)
        agent_of = np.zeros(len(distinct), dtype=np.intp)
        agent_of[index] = agent
        sql.insert(
            "devices",
            ("id", "device_key", "user_agent", "first_seen_at"),
            list(
                zip(
                    new_ids.tolist(),
                    device_keys((distinct[new] >> _AGENT_BITS).astype(np.uint64)),
                    _AGENTS[agent_of[new]].tolist(),
                    [first_seen] * len(new),
                    strict=True,
                )
            ),
        )
        found: _I64 = ids[index]
        return found

    def _removed(
        self,
        table: str,
        made: _IdMap,
        removals: _Removals,
        account: _I64,
        target: _I64,
        removing: NDArray[np.intp],
        making: NDArray[np.intp],
    ) -> _I64:
        """The ids of the rows the unlikes (unfollows) at positions `removing` remove."""
        ids = made.find(pair_keys(account[removing], target[removing]))
        if (ids < 0).any():
            raise _refused(f"a removal of {table} never made")
        first_new = self._next_of(table) - len(making)
        new = ids >= first_new
        made_at = making[ids[new] - first_new]
        if (made_at > removing[new]).any():
            raise _refused(f"a removal of {table} made later in the same chunk")
        if not removals.mark(ids):
            raise _refused(f"a second removal of the same {table}")
        return ids

    def _next_of(self, table: str) -> int:
        value: int = getattr(self._next, table)
        return value

    @staticmethod
    def _mark_removed(
        rows: dict[str, NDArray[Any]],
        made_ids: _I64,
        removed_ids: _I64,
        removing: NDArray[np.intp],
        at: NDArray[Any],
        source: NDArray[Any] | None,
    ) -> NDArray[np.bool_]:
        """Fill the removal columns of rows made in this chunk; True for removals of rows
        made in an earlier chunk (updated in place instead)."""
        first = int(made_ids[0]) if len(made_ids) else int(removed_ids.max(initial=0)) + 1
        here = removed_ids >= first
        rows_here = removed_ids[here] - first
        rows["removed_at"][rows_here] = at[removing[here]]
        if source is not None:
            rows["removed_source"][rows_here] = source[removing[here]]
        earlier: NDArray[np.bool_] = ~here
        return earlier

    def _count(self, kind: NDArray[np.intp], target: _I64) -> None:
        """The counters' net changes: likes less unlikes, comments, shares per video; likes
        less unlikes and follows less unfollows per creator.

        Counted over the chunk's own targets, never over arrays of the whole catalogue or
        community: a chunk is 50,000 items, the large demo has 10M accounts, and counting by
        `bincount(minlength=...)` cost 0.15 s a chunk there (150 s of CPU over its 1,000
        chunks, the load's part that grew with the community, issue #18)."""
        for column, plus, minus in ((0, LIKE, UNLIKE), (1, COMMENT, None), (2, SHARE, None)):
            videos, change = _net(target, kind, plus, minus)
            self._video_deltas[videos, column] += change
            if column == 0 and len(videos):
                creators, by_creator = _summed(self._creator_of[videos], change)
                self._creator_deltas[creators, 0] += by_creator
        creators, followers = _net(target, kind, FOLLOW, UNFOLLOW)
        self._creator_deltas[creators, 1] += followers


def _net(target: _I64, kind: NDArray[np.intp], plus: int, minus: int | None) -> tuple[_I64, _I64]:
    """The distinct targets of the `plus` items and `minus` items, and for each how many
    `plus` less how many `minus` it had."""
    if minus is None:
        return _summed(target[kind == plus], None)
    plus_at, minus_at = kind == plus, kind == minus
    both = np.concatenate([target[plus_at], target[minus_at]])
    signs = np.concatenate([np.ones(int(plus_at.sum()), np.int64),
                            np.full(int(minus_at.sum()), -1, np.int64)])  # fmt: skip
    return _summed(both, signs)


def _summed(keys: _I64, values: _I64 | None) -> tuple[_I64, _I64]:
    """The distinct keys and the sum of `values` (None: a count) for each."""
    distinct, index = np.unique(keys, return_inverse=True)
    if values is None:
        return distinct, np.bincount(index, minlength=len(distinct)).astype(np.int64)
    sums = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(sums, index, values)
    return distinct, sums


def _grown(array: NDArray[Any], length: int) -> NDArray[Any]:
    if len(array) >= length:
        return array
    grown = np.zeros((length, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _time_values(sql: BulkSQL, seconds: _I64) -> NDArray[Any]:
    """Each distinct second as the driver stores it (`BulkSQL.time`): SQLite's UTC text
    ("2026-09-05 00:40:44.000000"), PostgreSQL's aware datetime."""
    if not sql.sqlite:
        return np.array(time_stamps(seconds), dtype=object)
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return np.array([s.replace("T", " ") + ".000000" for s in text.tolist()], dtype=object)


def _in_order(made: dict[str, NDArray[Any]], columns: Sequence[str]) -> list[NDArray[Any]]:
    """The columns in the table's insert order (`store.bulk`); a column added there and not
    made here fails the load loudly, naming it, rather than shifting the others."""
    missing = [c for c in columns if c not in made]
    if missing or len(made) != len(columns):
        raise StorageError(f"the set-based loader does not make the columns {missing}")
    return [made[c] for c in columns]


def _rows(columns: Sequence[NDArray[Any]]) -> list[tuple[Any, ...]]:
    """Row tuples from columns (NumPy integers become Python ints for the driver)."""
    return list(zip(*(c.tolist() for c in columns), strict=True))


def _refused(what: str) -> StorageError:
    return StorageError(
        f"the generator produced {what}, which the platform refuses; the load stops"
    )
