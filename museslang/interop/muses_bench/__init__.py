"""The official MUSES Bench JSONL layout, in and out.

`import_records` turns a file of official records into museslang source: one
scenario per record, written as a researcher would (std imports for identity
templates, attacks and behaviours; text blocks for long texts). `export_records`
writes compiled episodes back in their family's official layout. Each family's
adapter (its `muses_bench` hook) registers itself in `common.FAMILIES`.
"""

from museslang import family as families
from museslang.interop.muses_bench.exporter import export_records
from museslang.interop.muses_bench.importer import ImportResult, import_records

families.load("muses_bench")

__all__ = ["ImportResult", "export_records", "import_records"]
