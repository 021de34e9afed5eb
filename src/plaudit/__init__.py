"""Plaudit: a self-hostable interaction platform where every like is real and verifiable."""

__version__ = "0.1.0"
__all__ = ["__version__"]
