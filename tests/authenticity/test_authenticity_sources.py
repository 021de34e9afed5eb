"""The organic graphs of issue 19: the heavy-core community and KuaiRec's small matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from plaudit.authenticity import ScanSettings, scan
from plaudit.authenticity.sources import heavy_core_likes, review_dict_likes

REVIEW = Path(__file__).resolve().parents[2] / "data" / "kuairec" / "review_dict_test.json"


def test_the_heavy_core_likes_a_fifth_to_two_fifths_of_the_catalogue_in_sessions() -> None:
    likes = heavy_core_likes(seed=3, accounts=600, videos=300, days=20)
    per_account = np.bincount(likes.account)
    heavy = np.sort(per_account)[-30:]  # the top 5%
    assert heavy.min() >= 0.2 * 300 * 0.9
    assert heavy.max() <= 0.4 * 300
    top = int(np.argmax(per_account))
    times = np.sort(likes.ts[likes.account == top])
    # Sessions: most consecutive likes of a heavy user are within the hour.
    assert (np.diff(times) < 3600).mean() > 0.8
    assert len(np.unique(likes.account * 1000 + likes.video)) == len(likes)


def test_a_clean_heavy_core_is_not_flagged() -> None:
    likes = heavy_core_likes(seed=4, accounts=1500, videos=400, days=30)
    assert scan(likes.table(), ScanSettings()).verdicts == []


def test_review_dict_times_uniform_or_in_sessions() -> None:
    uniform = review_dict_likes(REVIEW, seed=1, bursty=False)
    bursty = review_dict_likes(REVIEW, seed=1, bursty=True)
    assert len(uniform) == len(bursty) == 216_147
    assert np.array_equal(uniform.account, bursty.account)
    one = bursty.account == bursty.account[0]
    gaps = np.diff(np.sort(bursty.ts[one]))
    assert (gaps < 3600).mean() > 0.9
    assert (np.diff(np.sort(uniform.ts[one])) < 3600).mean() < 0.9
