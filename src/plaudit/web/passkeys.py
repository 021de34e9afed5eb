"""Passkeys (WebAuthn) for the console: the better way to sign in.

The ceremonies are checked by py_webauthn (Duo Labs), never by hand: registration
(attestation `none`, a discoverable credential with user verification) and sign-in (any of
the person's passkeys, chosen in the browser; user verification required, since the passkey
is the only factor). A challenge is stored server-side and deleted when a response uses it,
so it serves once and a replayed response finds nothing; it expires after 5 minutes.

Clone detection, as the library reports it (WebAuthn 6.1.1 step 21): an authenticator that
keeps a signature counter must send a larger one each time; a response whose counter is not
above the stored one means two copies of the key exist, and sign-in is refused. Authenticators
that keep no counter (always 0) are not refused.

py_webauthn (with its ASN.1 and CBOR stacks) is imported by the methods that use it: the
console is mounted at every start, and a passkey ceremony is rare (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.errors import InvalidInput, NotAuthenticated, NotFound
from plaudit.store import Database, utcnow
from plaudit.store import passkeys as sql
from plaudit.web.signin import AttemptLimiter, Viewer

__all__ = ["Passkey", "Passkeys"]

CHALLENGE_TTL = timedelta(minutes=5)
TIMEOUT_MS = 120_000
NAME_MAX = 64
RP_NAME = "Plaudit"


@dataclass(frozen=True)
class Passkey:
    """One of a person's passkeys as the settings page lists it."""

    id: int
    name: str
    aaguid: str
    backed_up: bool
    sign_count: int
    created_at: datetime
    last_used_at: datetime | None


def _user_handle(account_id: int) -> bytes:
    """The WebAuthn user handle: the account id, no name or other personal data."""
    return account_id.to_bytes(8, "big")


def _challenge_of(client_data_json: bytes) -> bytes:
    from webauthn.helpers import parse_client_data_json

    return parse_client_data_json(client_data_json).challenge


class Passkeys:
    """Register, list, remove passkeys and sign in with one; each method is one transaction."""

    def __init__(self, db: Database, settings: Settings, limiter: AttemptLimiter) -> None:
        self._db = db
        self.rp_id = settings.passkey_rp_id
        self.origins = settings.passkey_origin_list
        self._limiter = limiter

    # ---- registration ----------------------------------------------------------------

    def registration_options(self, viewer: Viewer) -> str:
        """The options for navigator.credentials.create, as JSON; excludes the person's
        existing passkeys so one authenticator is not registered twice."""
        from webauthn import generate_registration_options, options_to_json
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            PublicKeyCredentialDescriptor,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        with self._db.read() as conn:
            existing = sql.credential_ids_of(conn, viewer.account_id)
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=RP_NAME,
            user_name=viewer.handle,
            user_id=_user_handle(viewer.account_id),
            user_display_name=viewer.display_name or viewer.handle,
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in existing],
        )
        self._remember(options.challenge, "register", viewer.account_id)
        return options_to_json(options)

    def register(self, account_id: int, credential_json: str, name: str) -> int:
        """Check the browser's answer to `registration_options` and store the passkey."""
        from webauthn import verify_registration_response
        from webauthn.helpers import parse_registration_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        name = " ".join(name.split())[:NAME_MAX] or "Passkey"
        try:
            credential = parse_registration_credential_json(credential_json)
            challenge = _challenge_of(credential.response.client_data_json)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"the passkey answer is not readable: {exc}", field="credential"
            ) from None
        self._take(challenge, "register", account_id)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origins,
                require_user_verification=True,
            )
        except WebAuthnException as exc:
            raise InvalidInput(f"the passkey was not accepted: {exc}", field="credential") from None
        values = {
            "account_id": account_id,
            "credential_id": verified.credential_id,
            "public_key": verified.credential_public_key,
            "sign_count": verified.sign_count,
            "name": name,
            "aaguid": verified.aaguid,
            "backed_up": verified.credential_backed_up,
            "created_at": utcnow(),
        }

        def op(conn: Connection) -> int:
            if sql.credential(conn, verified.credential_id) is not None:
                raise InvalidInput("this passkey is already registered", field="credential")
            return sql.insert_passkey(conn, values)

        return self._db.write(op)

    # ---- sign-in -----------------------------------------------------------------------

    def signin_options(self) -> str:
        """Options for navigator.credentials.get: no credential list, so the browser offers
        the passkeys it holds for this site and the person picks one."""
        from webauthn import generate_authentication_options, options_to_json
        from webauthn.helpers.structs import UserVerificationRequirement

        options = generate_authentication_options(
            rp_id=self.rp_id,
            timeout=TIMEOUT_MS,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        self._remember(options.challenge, "signin", None)
        return options_to_json(options)

    def sign_in(self, credential_json: str, client: str) -> int:
        """The account whose passkey signed the challenge; NotAuthenticated otherwise
        (an unknown passkey, a bad signature, a counter that went back: a clone)."""
        from webauthn import verify_authentication_response
        from webauthn.helpers import parse_authentication_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        keys = (f"client:{client}",)
        self._limiter.check(*keys)
        try:
            credential = parse_authentication_credential_json(credential_json)
            challenge = _challenge_of(credential.response.client_data_json)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"the passkey answer is not readable: {exc}", field="credential"
            ) from None
        self._take(challenge, "signin", None)
        with self._db.read() as conn:
            row = sql.credential(conn, credential.raw_id)
        handle = credential.response.user_handle
        if row is None or (handle and handle != _user_handle(int(row.account_id))):
            self._limiter.fail(*keys)
            raise NotAuthenticated(
                "this passkey is not registered here (it may have been removed): sign in with "
                "your password and add it again in Settings"
            )
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origins,
                credential_public_key=bytes(row.public_key),
                credential_current_sign_count=int(row.sign_count),
                require_user_verification=True,
            )
        except WebAuthnException as exc:
            self._limiter.fail(*keys)
            raise NotAuthenticated(_refusal(str(exc))) from None
        now = utcnow()
        self._db.write(lambda conn: sql.record_use(conn, int(row.id), verified.new_sign_count, now))
        return int(row.account_id)

    # ---- the settings page -------------------------------------------------------------

    def of(self, account_id: int) -> list[Passkey]:
        with self._db.read() as conn:
            rows = sql.passkeys_of(conn, account_id)
        return [
            Passkey(
                int(r.id),
                str(r.name),
                str(r.aaguid),
                bool(r.backed_up),
                int(r.sign_count),
                r.created_at,
                r.last_used_at,
            )
            for r in rows
        ]

    def remove(self, account_id: int, passkey_id: int) -> None:
        def op(conn: Connection) -> None:
            if not sql.delete_passkey(conn, account_id, passkey_id):
                raise NotFound(f"you have no passkey {passkey_id}")

        self._db.write(op)

    # ---- challenges --------------------------------------------------------------------

    def _remember(self, challenge: bytes, purpose: str, account_id: int | None) -> None:
        expires = utcnow() + CHALLENGE_TTL
        self._db.write(
            lambda conn: sql.insert_challenge(conn, challenge, purpose, account_id, expires)
        )

    def _take(self, challenge: bytes, purpose: str, account_id: int | None) -> None:
        """Use a challenge up: it must exist, be unexpired and match purpose and account."""
        now = utcnow()
        row = self._db.write(lambda conn: sql.take_challenge(conn, challenge, now))
        if row is None or row.purpose != purpose or row.account_id != account_id:
            raise InvalidInput(
                "this passkey request has expired or was already used: try again",
                field="credential",
            )


def _refusal(reason: str) -> str:
    if "sign count" in reason:
        return (
            "this passkey's signature counter went backwards, which means a copy of it exists "
            "(a cloned authenticator): sign-in refused. Remove it in Settings after signing in "
            "with your password"
        )
    return f"the passkey did not sign in: {reason}"
