"""For a third-party app: the authorization URL with a fresh PKCE pair (RFC 7636) and state."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = ["Authorization", "authorization_url"]


@dataclass(frozen=True)
class Authorization:
    """Where to send the person, and what to keep until the redirect comes back: `state` to
    compare with the redirect's, `code_verifier` for `exchange_code`."""

    url: str
    state: str
    code_verifier: str


def authorization_url(
    base_url: str, client_id: str, redirect_uri: str, scopes: list[str]
) -> Authorization:
    """The console's consent page URL for this app, with S256 PKCE and a random state."""
    verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636 4.1's 43-128
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return Authorization(
        f"{base_url.rstrip('/')}/oauth/authorize?{urlencode(query)}", state, verifier
    )
