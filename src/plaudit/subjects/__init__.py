"""Data-subject requests (个人信息权利请求): a person's export of their own data.

* :func:`export_data`: everything the services keep about an account, as one JSON-ready
  document, for the API (``GET /v1/me/export``) and the console (``/me/export.json``);
  each export is recorded (when, which channel; never whose) for the transparency report.

Deletion is ``plaudit.accounts.erasure`` (crypto-shredding); the report counts both.
"""

from plaudit.subjects.export import CHANNELS, export_data

__all__ = ["CHANNELS", "export_data"]
