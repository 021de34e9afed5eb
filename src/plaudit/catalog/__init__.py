"""The catalogue: videos, their categories and their public counts."""

from plaudit.catalog.categories import CATEGORIES, CATEGORY_IDS, Category
from plaudit.catalog.service import Video, VideoService

__all__ = ["CATEGORIES", "CATEGORY_IDS", "Category", "Video", "VideoService"]
