"""Webhook endpoints, the durable outbox and its delivery thread.

Events come from the tables that record them, read in order behind a cursor per source
(`webhook_cursors`): the cursor moves in the same transaction that writes the outbox
messages, so every event is queued exactly once even across restarts, and each message is
delivered at least once (a crash between sending and recording sends it again; receivers
deduplicate on `webhook-id`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Row

from plaudit.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    OrganisationNotFound,
    StorageUnavailable,
)
from plaudit.store import Database, utcnow
from plaudit.store import campaigns as campaign_sql
from plaudit.store import catalog as account_sql
from plaudit.store import webhooks as sql
from plaudit.webhooks.model import (
    RETRY_SCHEDULE_S,
    SCHEMES,
    check_target,
    new_secret,
    parse_events,
    public_secret,
    sign,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["Delivery", "Endpoint", "WebhookService"]

log = logging.getLogger(__name__)
_KINDS = ("creator", "brand", "operator")
_SLOW_DOWN = (429, 502, 504)
_ROTATION_OVERLAP = timedelta(hours=24)
_BATCH = 100
_CLAIM = 20  # messages one dispatcher round leases and attempts
_LEASE_MARGIN_S = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Endpoint:
    id: int
    account_id: int
    organisation_id: int | None
    app_id: int | None  # the third-party app that registered it, if one did
    signature: str
    url: str
    events: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True)
class Delivery:
    """One outbox message with its attempts: the delivery log."""

    id: int
    msg_id: str
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: list[dict[str, Any]]
    next_attempt_at: datetime | None
    created_at: datetime


def _endpoint(row: Row[Any]) -> Endpoint:
    return Endpoint(
        row.id,
        row.account_id,
        row.organisation_id,
        row.app_id,
        "v1a" if row.secret.startswith("whsk_") else "v1",
        row.url,
        tuple(row.events.split()),
        row.created_at,
        row.disabled_at,
        row.disabled_reason,
    )


def _us(row: Row[Any]) -> int:
    """A time-ordered source's position: its row's moment in microseconds since the epoch."""
    moment: datetime = row.moment
    return (moment - _EPOCH) // timedelta(microseconds=1)  # exact, unlike float seconds


def _by_time(
    read: Callable[[Connection, datetime, int], list[Row[Any]]],
) -> Callable[[Connection, int, int], list[Row[Any]]]:
    def by_position(conn: Connection, position: int, limit: int) -> list[Row[Any]]:
        return read(conn, _EPOCH + timedelta(microseconds=position), limit)

    return by_position


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _message(conn: Connection, endpoint_id: int, event_type: str, data: dict[str, Any]) -> int:
    now = utcnow()
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    values = {
        "endpoint_id": endpoint_id,
        "msg_id": "msg_" + uuid.uuid4().hex,
        "event_type": event_type,
        "payload": json.dumps(body, separators=(",", ":"), default=_json_value),
        "created_at": now,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }
    return sql.insert_message(conn, values)


class WebhookService:
    """Endpoints for their owners; the dispatcher thread for a running server."""

    def __init__(self, db: Database, allow_private: bool, timeout_s: float = 10.0) -> None:
        self._db = db
        self._allow_private = allow_private
        self._timeout_s = timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- endpoints ---

    def create(
        self,
        account_id: int,
        url: str,
        events: list[str],
        organisation_id: int | None = None,
        signature: str = "v1",
        app_id: int | None = None,
    ) -> tuple[Endpoint, str]:
        """A new endpoint and what its receiver verifies with: the `whsec_` secret (`v1`) or
        the `whpk_` public key (`v1a`). An organisation's endpoint (made by one of its
        owners) belongs to the organisation: it outlives its maker's membership. One an app
        registers (`app_id`, with its access token) is the app's: only the app and the
        creator it acts for see it, and retiring the app disables it."""
        parsed = parse_events(events)
        if signature not in SCHEMES:
            raise InvalidInput(f"signature must be one of {', '.join(SCHEMES)}", field="signature")
        check_target(url, self._allow_private)
        secret = new_secret(signature)

        def create(conn: Connection) -> tuple[Endpoint, str]:
            if organisation_id is not None:
                _check_owner(conn, account_id, organisation_id)
            else:
                account = account_sql.get_account(conn, account_id)
                if account is None or account.kind not in _KINDS:
                    raise Forbidden("webhook endpoints are for creators, brands and operators")
            values = {
                "account_id": account_id,
                "organisation_id": organisation_id,
                "app_id": app_id,
                "url": url,
                "events": " ".join(parsed),
                "secret": secret,
                "created_at": utcnow(),
            }
            row = sql.get_endpoint(conn, sql.insert_endpoint(conn, values))
            assert row is not None
            return _endpoint(row), public_secret(secret)

        return self._db.write(create)

    def endpoints(
        self, account_id: int, organisation_id: int | None = None, app_id: int | None = None
    ) -> list[Endpoint]:
        """The caller's own endpoints, or (for its owners) an organisation's; an app sees
        only those it registered."""
        with self._db.read() as conn:
            if organisation_id is not None:
                _check_owner(conn, account_id, organisation_id)
            rows = sql.list_endpoints(conn, account_id, organisation_id)
            return [_endpoint(row) for row in rows if app_id is None or row.app_id == app_id]

    def disable(self, account_id: int, endpoint_id: int, app_id: int | None = None) -> Endpoint:
        def disable(conn: Connection) -> Endpoint:
            self._own(conn, account_id, endpoint_id, app_id)
            sql.disable_endpoint(conn, endpoint_id, utcnow(), "disabled by its owner")
            return _endpoint(self._own(conn, account_id, endpoint_id, app_id))

        return self._db.write(disable)

    def rotate(self, account_id: int, endpoint_id: int, app_id: int | None = None) -> str:
        """A new secret; the old one keeps signing for 24 h, so receivers can switch over."""

        def rotate(conn: Connection) -> str:
            row = self._own(conn, account_id, endpoint_id, app_id)
            secret = new_secret("v1a" if row.secret.startswith("whsk_") else "v1")
            sql.set_secret(conn, endpoint_id, secret, row.secret, utcnow() + _ROTATION_OVERLAP)
            return public_secret(secret)

        return self._db.write(rotate)

    def send_test(self, account_id: int, endpoint_id: int, app_id: int | None = None) -> int:
        """Queue a `webhook.test` message to this endpoint; its id in the delivery log."""

        def test(conn: Connection) -> int:
            self._own(conn, account_id, endpoint_id, app_id)
            return _message(conn, endpoint_id, "webhook.test", {"endpoint_id": endpoint_id})

        return self._db.write(test)

    def deliveries(
        self, account_id: int, endpoint_id: int, limit: int = 50, app_id: int | None = None
    ) -> list[Delivery]:
        with self._db.read() as conn:
            self._own(conn, account_id, endpoint_id, app_id)
            messages = sql.messages_of(conn, endpoint_id, limit)
            attempts = sql.attempts_of(conn, [m.id for m in messages])
        by_message: dict[int, list[dict[str, Any]]] = {}
        for a in attempts:
            entry = {"at": a.at, "status_code": a.status_code, "error": a.error}
            by_message.setdefault(a.message_id, []).append({**entry, "duration_ms": a.duration_ms})
        return [
            Delivery(
                m.id,
                m.msg_id,
                m.event_type,
                json.loads(m.payload),
                m.status,
                by_message.get(m.id, []),
                m.next_attempt_at,
                m.created_at,
            )
            for m in messages
        ]

    def redeliver(self, account_id: int, message_id: int, app_id: int | None = None) -> None:
        """Send a message again now, with a fresh retry schedule (delivered or failed)."""

        def redeliver(conn: Connection) -> None:
            message = sql.get_message(conn, message_id)
            if message is None:
                raise NotFound(f"webhook message {message_id} does not exist")
            self._own(conn, account_id, message.endpoint_id, app_id)
            sql.update_message(
                conn, message_id, status="pending", attempts=0, next_attempt_at=utcnow()
            )

        self._db.write(redeliver)

    def _own(
        self, conn: Connection, account_id: int, endpoint_id: int, app_id: int | None = None
    ) -> Row[Any]:
        """The endpoint when the caller made it (a personal one) or owns its organisation;
        an app (`app_id`) reaches only the endpoints it registered."""
        row = sql.get_endpoint(conn, endpoint_id)
        if row is not None and (app_id is None or row.app_id == app_id):
            org = row.organisation_id
            if org is None and row.account_id == account_id:
                return row
            if org is not None and campaign_sql.role_of(conn, org, account_id) == "owner":
                return row
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist or is not yours")

    # --- the dispatcher ---

    def start(self, interval_s: float = 0.5) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), name="plaudit-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except StorageUnavailable as exc:  # a database restart: one line, not a traceback
                log.warning("webhook dispatch waits for the database: %s", exc)
            except Exception:  # a bad tick is logged; the next one tries again
                log.exception("webhook dispatch failed")
            self._stop.wait(interval_s)

    def tick(self) -> int:
        """Queue new events, then attempt every due message; the number of attempts made."""
        self._db.write(self._collect)
        return self._deliver_due()

    def _collect(self, conn: Connection) -> None:
        if not sql.take_collect_turn(conn):
            return  # another API process is collecting; its events reach everyone's outbox
        self._tail(conn, "checkpoints", sql.checkpoints_after, self._checkpoint)
        self._tail(conn, "verdicts", sql.verdicts_after, self._verdict)
        self._tail(conn, "revocations", sql.revocations_after, self._revocation)
        self._tail(conn, "reinstatements", sql.reinstatements_after, self._reinstatement)
        self._tail(conn, "releases", sql.releases_after, self._release)
        self._tail(conn, "redemptions", _by_time(sql.redemptions_after), self._redemption, _us)
        self._tail(conn, "fund_closings", _by_time(sql.closed_periods_after), self._closing, _us)

    def _tail(
        self,
        conn: Connection,
        source: str,
        read: Callable[[Connection, int, int], list[Row[Any]]],
        queue: Callable[[Connection, Row[Any]], None],
        position: Callable[[Row[Any]], int] = lambda row: int(row.position),
    ) -> None:
        """Queue what a source recorded after its cursor and move the cursor, in one
        transaction; the first time, the cursor starts at the end (no replay of history)."""
        last = sql.cursor(conn, source)
        rows = read(conn, last or 0, _BATCH)
        if last is None:
            end = max((position(r) for r in rows), default=0)
            while len(rows) == _BATCH:
                rows = read(conn, end, _BATCH)
                end = max((position(r) for r in rows), default=end)
            sql.advance_cursor(conn, source, end, known=False)
            return
        for row in rows:
            queue(conn, row)
        if rows:
            sql.advance_cursor(conn, source, position(rows[-1]), known=True)

    def _checkpoint(self, conn: Connection, row: Row[Any]) -> None:
        data = {
            "size": row.size,
            "root": base64.b64encode(row.root).decode(),
            "signed_at": row.created_at,
        }
        for endpoint in sql.active_endpoints(conn, "ledger.checkpoint_signed"):
            _message(conn, endpoint.id, "ledger.checkpoint_signed", data)

    def _verdict(self, conn: Connection, row: Row[Any]) -> None:
        data = {
            "verdict_id": row.id,
            "detector": row.detector,
            "score": row.score,
            "status": row.status,
            "created_at": row.created_at,
        }
        for endpoint in sql.active_endpoints(conn, "verdict.issued"):
            # a verdict's evidence is for operators, never an organisation's endpoint
            if endpoint.kind == "operator" and endpoint.organisation_id is None:
                _message(conn, endpoint.id, "verdict.issued", data)

    def _revocation(self, conn: Connection, row: Row[Any]) -> None:
        _to_creator(conn, "like.revoked", row, "revoked_at", row.revoked_at)

    def _reinstatement(self, conn: Connection, row: Row[Any]) -> None:
        _to_creator(conn, "like.reinstated", row, "reinstated_at", row.reinstated_at)

    def _release(self, conn: Connection, row: Row[Any]) -> None:
        # The organisation's members hear of releases; never which fan completed the task.
        members = sql.members_of(conn, row.organisation_id)
        data = {
            "campaign_id": row.campaign_id,
            "completion_id": row.completion_id,
            "reward_id": row.id,
            "kind": row.kind,
            "amount_fen": row.amount_fen,
            "released_at": row.released_at,
        }
        for endpoint in sql.active_endpoints(conn, "campaign.completion_released"):
            if _hears(endpoint, row.organisation_id, members):
                _message(conn, endpoint.id, "campaign.completion_released", data)
        if row.spent_fen + row.reward_fen <= row.budget_fen:
            return
        exhausted = {
            "campaign_id": row.campaign_id,
            "budget_fen": row.budget_fen,
            "spent_fen": row.spent_fen,
        }
        for endpoint in sql.active_endpoints(conn, "campaign.budget_exhausted"):
            if _hears(endpoint, row.organisation_id, members):
                _message(conn, endpoint.id, "campaign.budget_exhausted", exhausted)

    def _redemption(self, conn: Connection, row: Row[Any]) -> None:
        members = sql.members_of(conn, row.organisation_id)
        data = {"campaign_id": row.campaign_id, "reward_id": row.id, "redeemed_at": row.moment}
        for endpoint in sql.active_endpoints(conn, "coupon.redeemed"):
            if _hears(endpoint, row.organisation_id, members):
                _message(conn, endpoint.id, "coupon.redeemed", data)

    def _closing(self, conn: Connection, row: Row[Any]) -> None:
        data = {
            "period_id": row.id,
            "name": row.name,
            "pool_fen": row.pool_fen,
            "closed_at": row.moment,
            "through_seq": row.through_seq,
        }
        for endpoint in sql.active_endpoints(conn, "fund.period_closed"):
            _message(conn, endpoint.id, "fund.period_closed", data)

    def _deliver_due(self) -> int:
        now = utcnow()
        # the lease outlasts the slowest round: every claimed message timing out in turn
        lease = timedelta(seconds=_CLAIM * self._timeout_s + _LEASE_MARGIN_S)
        due = self._db.write(lambda conn: sql.claim_due_messages(conn, now, now + lease, _CLAIM))
        with self._db.read() as conn:
            endpoints = {m.endpoint_id: sql.get_endpoint(conn, m.endpoint_id) for m in due}
        if not due:  # a client loads the CA bundle (~10 ms of CPU): not twice a second for nothing
            return 0
        import httpx  # here: the API server imports this module at every start

        with httpx.Client(timeout=self._timeout_s, follow_redirects=False) as client:
            for message in due:
                endpoint = endpoints[message.endpoint_id]
                assert endpoint is not None
                self._attempt(client, endpoint, message)
        return len(due)

    def _attempt(self, client: httpx.Client, endpoint: Row[Any], message: Row[Any]) -> None:
        now = utcnow()
        if endpoint.disabled_at is not None:
            self._db.write(
                lambda conn: sql.update_message(
                    conn, message.id, status="failed", next_attempt_at=None
                )
            )
            return
        status, error, retry_after, took = self._post(client, endpoint, message, now)
        self._db.write(
            lambda conn: self._record(
                conn, endpoint, message, now, status, error, retry_after, took
            )
        )

    def _post(
        self, client: httpx.Client, endpoint: Row[Any], message: Row[Any], now: datetime
    ) -> tuple[int | None, str | None, int | None, int]:
        body = message.payload.encode()
        valid = [endpoint.secret]
        if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
            valid.append(endpoint.previous_secret)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(valid, message.msg_id, now, body),
        }
        started = time.monotonic()
        try:
            check_target(endpoint.url, self._allow_private)  # the name may resolve anew
            response = client.post(endpoint.url, content=body, headers=headers)
        except Exception as exc:  # the receiver is down or refused: retry on schedule
            took = int((time.monotonic() - started) * 1000)
            return None, f"{type(exc).__name__}: {exc}"[:512], None, took
        took = int((time.monotonic() - started) * 1000)
        retry_after = response.headers.get("retry-after", "")
        seconds = int(retry_after) if retry_after.isdigit() else None
        return response.status_code, None, seconds, took

    def _record(
        self,
        conn: Connection,
        endpoint: Row[Any],
        message: Row[Any],
        at: datetime,
        status: int | None,
        error: str | None,
        retry_after: int | None,
        took: int,
    ) -> None:
        sql.insert_attempt(
            conn,
            {
                "message_id": message.id,
                "at": at,
                "status_code": status,
                "error": error,
                "duration_ms": took,
            },
        )
        attempts = message.attempts + 1
        if status is not None and 200 <= status < 300:
            sql.update_message(
                conn, message.id, status="delivered", attempts=attempts, next_attempt_at=None
            )
            return
        if status == 410:  # Gone: the receiver asks never to be called again
            sql.disable_endpoint(conn, endpoint.id, at, "the endpoint answered 410 Gone")
            sql.update_message(
                conn, message.id, status="failed", attempts=attempts, next_attempt_at=None
            )
            return
        if attempts > len(RETRY_SCHEDULE_S):
            sql.update_message(
                conn, message.id, status="failed", attempts=attempts, next_attempt_at=None
            )
            return
        delay = RETRY_SCHEDULE_S[attempts - 1]
        if status in _SLOW_DOWN and retry_after is not None:
            delay = max(delay, retry_after)
        sql.update_message(
            conn, message.id, attempts=attempts, next_attempt_at=at + timedelta(seconds=delay)
        )


def _to_creator(conn: Connection, event: str, row: Row[Any], at_name: str, at: Any) -> None:
    """A revocation or reinstatement goes to the video's creator; never who had liked it."""
    data = {"like_id": row.like_id, "video_id": row.video_id, "verdict_id": row.verdict_id}
    data[at_name] = at
    for endpoint in sql.active_endpoints(conn, event):
        if endpoint.account_id == row.creator_id and endpoint.organisation_id is None:
            _message(conn, endpoint.id, event, data)


def _hears(endpoint: Row[Any], organisation_id: int, members: set[int]) -> bool:
    """Whether an endpoint hears an organisation's event: the organisation's own endpoints,
    and its members' personal ones; never another organisation's."""
    if endpoint.organisation_id is not None:
        return bool(endpoint.organisation_id == organisation_id)
    return endpoint.account_id in members


def _check_owner(conn: Connection, account_id: int, organisation_id: int) -> None:
    if campaign_sql.get_organisation(conn, organisation_id) is None:
        raise OrganisationNotFound(f"organisation {organisation_id} does not exist")
    if campaign_sql.role_of(conn, organisation_id, account_id) != "owner":
        raise Forbidden(f"only owners of organisation {organisation_id} manage its endpoints")
