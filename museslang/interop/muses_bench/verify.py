"""The round trip, checked: compile imported source, export it, compare with the records."""

from __future__ import annotations

import tempfile
from pathlib import Path

from museslang.compiler import compile_path
from museslang.diagnostics import render_all
from museslang.interop.muses_bench.compare import differences
from museslang.interop.muses_bench.exporter import export_records
from museslang.interop.muses_bench.records import Line, read_lines


def verify_import(records: Path, source: str, written: Path | None) -> list[str]:
    """What differs between the records and the export of their imported source
    (empty: the round trip is exact). `written` is where the source was saved, if
    anywhere; otherwise it is compiled from a temporary file."""
    if written is not None:
        result = compile_path(written)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{records.stem}.muses"
            path.write_text(source, encoding="utf-8")
            result = compile_path(path)
    if result.compiled is None:
        errors = [d for d in result.diagnostics.sorted() if d.is_error]
        return ["the imported source does not compile:\n" + render_all(errors, result.sources)]
    exported = {r["id"]: r for r in export_records(result.compiled.episodes)}
    out = []
    for line in read_lines(records):
        rid = line.data.get("id") if isinstance(line, Line) else None
        if rid not in exported:
            continue  # left out by the import, and reported there
        out += [f"{rid}: {d}" for d in differences(line.data, exported[rid])]
    return out
