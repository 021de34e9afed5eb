"""The attack SPEC of `plaudit demo --attacks` and `plaudit authenticity inject`.

    SPEC   = ATTACK ("," ATTACK)*
    ATTACK = KIND [":" SIZE] (":" KEY "=" VALUE)*
    SIZE   = ACCOUNTS "x" VIDEOS          (a ring: the number of creators only)
    KEY    = density | d | camouflage | camo | window | days | per_device

Examples:

    farm:200x200:d=0.1:camo=popular
    farm:50x20:d=0.5,slow_drip:200x200:d=0.1:days=14,ring:20:d=0.3
    device_farm:100x50:d=0.2:per_device=10,hijack:50x30:d=0.3:window=900

Omitted values take the defaults of `Attack`. Every error names the attack by its position
and text and says what a correct value looks like.
"""

from __future__ import annotations

from dataclasses import fields

from plaudit.authenticity.attacks import CAMOUFLAGES, KINDS, Attack
from plaudit.errors import InvalidInput

__all__ = ["format_spec", "parse_spec"]

ALIASES = {"d": "density", "camo": "camouflage"}
INTEGER_KEYS = ("window", "days", "per_device")
EXAMPLE = "farm:200x200:d=0.1:camo=popular"


def parse_spec(text: str) -> list[Attack]:
    """The attacks a SPEC names, in order; InvalidInput says what is wrong and where."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip():
        raise InvalidInput(f"the attack spec is empty; for example {EXAMPLE}", field="attacks")
    attacks = []
    for number, part in enumerate(parts, start=1):
        where = f"attack {number} ({part!r})"
        if not part:
            raise InvalidInput(
                f"attack {number} is empty: separate attacks with a single comma", field="attacks"
            )
        try:
            attacks.append(_attack(part))
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.detail}", field="attacks") from None
    return attacks


def format_spec(attacks: list[Attack]) -> str:
    """The canonical SPEC of `attacks`: `parse_spec(format_spec(a)) == a`."""
    return ",".join(_format(attack) for attack in attacks)


def _format(attack: Attack) -> str:
    size = str(attack.accounts) if attack.kind == "ring" else f"{attack.accounts}x{attack.videos}"
    items = [attack.kind, size, f"density={attack.density!r}"]
    items += [f"{key}={getattr(attack, key)}" for key in ("camouflage", *INTEGER_KEYS)]
    if attack.kind in ("ring", "hijack"):
        items.remove(f"camouflage={attack.camouflage}")
    return ":".join(items)


def _attack(part: str) -> Attack:
    kind, *items = [item.strip() for item in part.split(":")]
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}", field="attacks")
    values: dict[str, object] = {"kind": kind}
    if items and "=" not in items[0]:
        values.update(_size(kind, items.pop(0)))
    for item in items:
        key, value = _pair(item)
        if key in values:
            raise InvalidInput(f"{key} is given twice", field="attacks")
        values[key] = value
    return Attack(**values)  # type: ignore[arg-type]


def _size(kind: str, text: str) -> dict[str, int]:
    if kind == "ring":
        if not text.isdigit():
            raise InvalidInput(
                f"size {text!r} of a ring must be its number of creators, e.g. ring:20",
                field="attacks",
            )
        return {"accounts": int(text), "videos": 0}
    accounts, sep, videos = text.partition("x")
    if not sep or not accounts.isdigit() or not videos.isdigit():
        raise InvalidInput(
            f"size {text!r} must be ACCOUNTSxVIDEOS, e.g. {kind}:200x200", field="attacks"
        )
    return {"accounts": int(accounts), "videos": int(videos)}


def _pair(item: str) -> tuple[str, object]:
    key, sep, raw = (piece.strip() for piece in item.partition("="))
    known = sorted({f.name for f in fields(Attack)} - {"kind", "accounts", "videos"} | set(ALIASES))
    if not sep or not key:
        raise InvalidInput(f"{item!r} is not KEY=VALUE (keys: {', '.join(known)})", field="attacks")
    key = ALIASES.get(key, key)
    if key == "density":
        try:
            return key, float(raw)
        except ValueError:
            raise InvalidInput(
                f"density {raw!r} is not a number; use one in (0, 1], e.g. d=0.1", field="attacks"
            ) from None
    if key == "camouflage":
        if raw not in CAMOUFLAGES:
            raise InvalidInput(
                f"camouflage {raw!r} is not one of {', '.join(CAMOUFLAGES)}", field="attacks"
            )
        return key, raw
    if key in INTEGER_KEYS:
        if not raw.isdigit():
            raise InvalidInput(f"{key} {raw!r} is not a whole number", field="attacks")
        return key, int(raw)
    raise InvalidInput(f"unknown key {key!r}; the keys are {', '.join(known)}", field="attacks")
