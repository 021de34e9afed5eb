"""Third-party apps acting for a creator: OAuth 2.0 code flow with PKCE (docs/api.md,
"Third-party apps (OAuth)")."""

from plaudit.oauth.model import (
    ACCESS_PREFIX,
    APP_RESOURCES,
    REFRESH_PREFIX,
    TOKEN_PATTERN,
    App,
    Authorization,
    parse_app_scopes,
)
from plaudit.oauth.service import CONSENTERS, Consent, OAuthService

__all__ = [
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
]
