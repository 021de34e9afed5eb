"""Accounts, profiles and the bearer tokens that authenticate them."""

from plaudit.accounts.model import Account, Profile, Token
from plaudit.accounts.service import AccountService

__all__ = ["Account", "AccountService", "Profile", "Token"]
