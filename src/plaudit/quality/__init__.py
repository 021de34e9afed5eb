"""Interaction quality scores (互动质量分) per video and per campaign: authentic engagement
relative to reach, the figure a brand would price on instead of raw exposure (docs/fund.md)."""

from __future__ import annotations

from plaudit.quality.score import QualityScore, quality_of
from plaudit.quality.service import QualityService

__all__ = ["QualityScore", "QualityService", "quality_of"]
