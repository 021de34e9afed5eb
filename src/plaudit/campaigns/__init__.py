"""Campaigns (互动任务): brands' opt-in interaction tasks (like-to-get-coupon 点赞即领券, study
check-in streaks 学习打卡, like-to-donate 点赞公益), budgets that never overspend, rewards
released only after the authenticity hold, coupons, donations, disclosure and reports.
See docs/campaigns.md."""

from plaudit.campaigns.model import (
    Campaign,
    CampaignSpec,
    Completion,
    Member,
    Organisation,
    Reward,
)
from plaudit.campaigns.reports import Report
from plaudit.campaigns.segments import Segments
from plaudit.campaigns.service import CampaignService, Progress, Redemption, SettleSummary

__all__ = [
    "Campaign",
    "CampaignService",
    "CampaignSpec",
    "Completion",
    "Member",
    "Organisation",
    "Progress",
    "Redemption",
    "Report",
    "Reward",
    "Segments",
    "SettleSummary",
]
