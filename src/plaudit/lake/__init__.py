"""The event lake: the platform's facts as day-partitioned Parquet for the batch jobs.

`export_lake` copies what the ledger holds (events up to its integrated size), the profiles
and the campaign facts into a directory or any fsspec URL, incrementally from the watermark
in the lake's manifest. Readers go through the manifest (`read_table`), so a crash mid-export
never shows a half-written lake. Personal fields follow the ledger's rules: no IP addresses
or device keys, only keyed hashes that group without revealing (docs/scale.md).
"""

from plaudit.lake.export import ExportReport, export_lake
from plaudit.lake.manifest import Manifest
from plaudit.lake.read import open_lake, read_table

__all__ = ["ExportReport", "Manifest", "export_lake", "open_lake", "read_table"]
