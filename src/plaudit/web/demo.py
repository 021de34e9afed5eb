"""Ready sign-ins for the demo community: a creator, a fan, a brand (organisation owner) and
an operator.

Their passwords are random, made when the demo is loaded and written to
`DATA_DIR/demo-signins.txt` (mode 0600): a demo served on an exposed host must not open to a
password printed in a README. `plaudit demo` prints where the file is, never the passwords
(terminal scroll-back and CI logs are read by others). Loading again keeps the passwords the
file holds, so a `make run` after the first does not change them under the reader's feet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from plaudit.errors import ConfigError
from plaudit.platform import Platform
from plaudit.store import catalog
from plaudit.store import console as sql
from plaudit.store.files import PRIVATE_FILE
from plaudit.web.signin import SignIns

__all__ = ["DEMO_HANDLES", "DemoSignIn", "create_demo_signins", "read_demo_signins"]

DEMO_HANDLES = {
    "creator": "demo-creator",
    "fan": "demo-fan",
    "brand": "demo-brand",
    "operator": "demo-operator",
}
FILE_NAME = "demo-signins.txt"
_HEADER = (
    "# Plaudit demo sign-ins for the console, made when the demo was loaded.\n"
    "# Readable only by you (mode 0600). Delete this file and run `plaudit demo --if-empty`\n"
    "# to get new passwords.\n"
    "# role       handle          password\n"
)


@dataclass(frozen=True)
class DemoSignIn:
    role: str
    handle: str
    password: str


def signins_path(data_path: Path) -> Path:
    return data_path / FILE_NAME


def demo_signins_hint(data_path: Path, request: Request) -> Path | None:
    """Where the demo's passwords are, for the sign-in page of a newcomer on this machine:
    only to a loopback client (the path says nothing to anyone else) and only when it exists."""
    client = request.client.host if request.client else ""
    if client not in ("127.0.0.1", "::1", "localhost"):
        return None
    path = signins_path(data_path)
    return path.resolve() if path.exists() else None


def read_demo_signins(data_path: Path) -> list[DemoSignIn]:
    """The sign-ins written by `create_demo_signins`; ConfigError when the file is absent
    or damaged (with how to make it again)."""
    path = signins_path(data_path)
    if not path.exists():
        raise ConfigError(f"{path} does not exist: run `plaudit demo --if-empty` to make it")
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or parts[0] not in DEMO_HANDLES:
            raise ConfigError(
                f"{path} line {number} is not 'role handle password': delete the file and "
                "run `plaudit demo --if-empty` to make it again"
            )
        found.append(DemoSignIn(*parts))
    return found


def _passwords(data_path: Path) -> dict[str, str]:
    """The passwords of the file when it is whole; new random ones otherwise."""
    try:
        kept = {s.role: s.password for s in read_demo_signins(data_path)}
    except ConfigError:
        kept = {}
    if set(kept) == set(DEMO_HANDLES):
        return kept
    # 16 URL-safe characters: 96 random bits
    return {role: secrets.token_urlsafe(12) for role in DEMO_HANDLES}


def _write(data_path: Path, signins: list[DemoSignIn]) -> Path:
    path = signins_path(data_path)
    text = _HEADER + "".join(f"{s.role:<10}  {s.handle:<14}  {s.password}\n" for s in signins)
    temporary = path.with_suffix(".tmp")
    temporary.touch(mode=PRIVATE_FILE)
    temporary.chmod(PRIVATE_FILE)
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def create_demo_signins(platform: Platform) -> Path:
    """Give the demo's busiest creator and fan the documented handles; add a brand with its
    organisation and an operator; set their passwords and write them to the file, whose
    path is returned."""
    ids = {
        "creator": _take_over(platform, "creator", DEMO_HANDLES["creator"]),
        "fan": _take_over(platform, "fan", DEMO_HANDLES["fan"]),
        "brand": _account(platform, DEMO_HANDLES["brand"], "brand", "演示品牌 Demo Brand"),
        "operator": _account(
            platform, DEMO_HANDLES["operator"], "operator", "演示运营 Demo Operator"
        ),
    }
    with platform.db.read() as conn:
        owns = sql.organisations_owned(conn, ids["brand"])
    if not owns:
        platform.campaigns.create_organisation(ids["brand"], "演示品牌 Demo Brand")
    data_path = platform.settings.data_path
    passwords = _passwords(data_path)
    signins = SignIns(platform.db)
    made = [DemoSignIn(role, handle, passwords[role]) for role, handle in DEMO_HANDLES.items()]
    for signin in made:
        signins.set_password(ids[signin.role], signin.password)
    # the dashboard's insights, as the daily refresh would store them: the first visit is quick
    platform.strategy.refresh(ids["creator"])
    return _write(data_path, made)


def _existing(platform: Platform, handle: str) -> int | None:
    with platform.db.read() as conn:
        row = catalog.account_by_handle(conn, handle)
    return None if row is None else int(row.id)


def _take_over(platform: Platform, kind: str, handle: str) -> int:
    """The demo's busiest account of a kind, renamed to the documented handle."""
    found = _existing(platform, handle)
    if found is not None:
        return found
    with platform.db.read() as conn:
        busiest = sql.busiest(conn, kind)
    if busiest is None:  # an empty community: a fresh account still lets people sign in
        return _account(platform, handle, kind, handle)
    platform.db.write(lambda conn: sql.rename_account(conn, busiest, handle))
    return busiest


def _account(platform: Platform, handle: str, kind: str, display_name: str) -> int:
    found = _existing(platform, handle)
    if found is not None:
        return found
    account, _token = platform.accounts.create(handle, kind, display_name)
    return account.id
