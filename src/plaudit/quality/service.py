"""Quality scores of videos and campaigns, read from the store."""

from __future__ import annotations

from collections.abc import Sequence

from plaudit.errors import CampaignNotFound, VideoNotFound
from plaudit.quality.score import QualityScore, quality_of
from plaudit.store import Database
from plaudit.store import catalog as catalog_sql
from plaudit.store import fund as sql

__all__ = ["QualityService"]


class QualityService:
    """Videos: organic interactions, public like the counts. Campaigns: the campaign's
    `campaign:<id>` interactions, shown to the brand only and suppressed below `privacy_k`."""

    def __init__(self, db: Database, privacy_k: int) -> None:
        self._db = db
        self._k = privacy_k

    def video(self, video_id: int) -> QualityScore:
        with self._db.read() as conn:
            if catalog_sql.get_video(conn, video_id) is None:
                raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
            records = sql.quality_rows(conn, video_id=video_id)
        return quality_of("video", video_id, records, 0)

    def videos(self, video_ids: Sequence[int]) -> list[QualityScore]:
        """The scores of several videos read in one transaction (a creator's quality page);
        a missing video is an error, as for one."""
        with self._db.read() as conn:
            scores = []
            for video_id in video_ids:
                if catalog_sql.get_video(conn, video_id) is None:
                    raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
                records = sql.quality_rows(conn, video_id=video_id)
                scores.append(quality_of("video", video_id, records, 0))
        return scores

    def campaign(self, campaign_id: int, account_id: int | None = None) -> QualityScore:
        """The campaign's score for `account_id`, a member of the campaign's organisation
        (None: an operator, who sees it unsuppressed); 404 for anyone else."""
        with self._db.read() as conn:
            organisation = sql.campaign_organisation(conn, campaign_id)
            hidden = account_id is not None and (
                organisation is None or not sql.is_member(conn, organisation, account_id)
            )
            if organisation is None or hidden:
                # as every campaign endpoint: another brand's campaign does not exist for you
                raise CampaignNotFound(
                    f"campaign {campaign_id} does not exist", campaign_id=campaign_id
                )
            records = sql.quality_rows(conn, source=f"campaign:{campaign_id}")
        k = 0 if account_id is None else self._k
        return quality_of("campaign", campaign_id, records, k)
