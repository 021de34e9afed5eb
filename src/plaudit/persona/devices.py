"""The device class of a user agent: what persona's device tags read, and all the lake keeps.

Kept apart from compute.py (no NumPy here) so the lake export classifies devices without
loading the tag computation, and so the database refresh and the lake refresh classify with
one function: the same agent always lands in the same tag.
"""

from __future__ import annotations

__all__ = ["DEVICE_CLASSES", "device_class"]

DEVICE_CLASSES = ("ios", "android", "harmonyos", "tablet", "web")


def device_class(user_agent: str) -> str:
    """ios, android, harmonyos, tablet (the Plaudit app's agents), or web (anything else)."""
    if not user_agent.startswith("Plaudit/"):
        return "web"
    if "iPad" in user_agent or "Tablet" in user_agent:
        return "tablet"
    if "HarmonyOS" in user_agent:
        return "harmonyos"
    if "iOS" in user_agent or "iPhone" in user_agent:
        return "ios"
    return "android"
