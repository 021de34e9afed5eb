"""Scoped API keys for integrators (docs/api.md, "API keys")."""

from plaudit.apikeys.model import KEY_PATTERN, KEY_PREFIX, ApiKey, grants, parse_scopes
from plaudit.apikeys.service import ApiKeyService

__all__ = ["KEY_PATTERN", "KEY_PREFIX", "ApiKey", "ApiKeyService", "grants", "parse_scopes"]
