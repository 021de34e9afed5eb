"""SQL the lake's batch jobs share, in the dialect both DuckDB and Spark SQL accept: one
definition, so the fund and the recommender cannot disagree about which likes a revocation
still holds."""

from __future__ import annotations

__all__ = ["STANDING_REVOCATIONS"]

#: The common table `standing_revocations(account_id, target_id, seq)`: per account and
#: video, the last revocation not undone by a reinstatement. A like is revoked when such a
#: revocation follows it (`s.seq > l.seq`); a like made after it stands.
STANDING_REVOCATIONS = """standing_revocations AS (
  SELECT r.account_id, r.target_id, MAX(r.seq) AS seq
  FROM events r
  WHERE r.kind = 'revoke'
    AND NOT EXISTS (SELECT 1 FROM events i WHERE i.kind = 'reinstate' AND i.ref_id = r.ref_id)
  GROUP BY r.account_id, r.target_id
)"""
