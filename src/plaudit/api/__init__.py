"""The HTTP API: app factory, thin routers per domain, problem+json errors, auth."""

from plaudit.api.app import create_app

__all__ = ["create_app"]
