"""SQL the lake's batch jobs share, in the dialect both DuckDB and Spark SQL accept: one
definition, so the fund and the recommender cannot disagree about which likes a revocation
still holds."""

from __future__ import annotations

import duckdb
import pyarrow as pa

__all__ = ["STANDING_REVOCATIONS", "local_query"]

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


def local_query(sql: str, events: pa.Table, **tables: pa.Table) -> pa.Table:
    """`sql` run by DuckDB over the lake's `events` (with `at_us`, the time in microseconds
    since the epoch, as Spark's `unix_micros` gives it) and the other `tables` by name."""
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone='UTC'")
        connection.register("raw_events", events)
        for name, table in tables.items():
            connection.register(name, table)
        connection.execute(
            'CREATE VIEW events AS SELECT *, epoch_us("at") AS at_us FROM raw_events'
        )
        result: pa.Table = connection.sql(sql).to_arrow_table()
        return result
    finally:
        connection.close()
