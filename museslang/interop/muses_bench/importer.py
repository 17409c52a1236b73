"""Official JSONL records -> one readable museslang file.

A record that cannot be imported is reported with its line, the field at
fault and why; the records around it still import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from museslang.interop.muses_bench.common import FAMILIES, Family, Imported
from museslang.interop.muses_bench.records import Fields, Line, Problem, RecordError, read_lines
from museslang.syntax.writer import render


@dataclass
class ImportResult:
    source: str  # the museslang file ("" when nothing imported)
    records: int  # records imported
    families: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


def detect(data: dict) -> Family | None:
    """The family whose identifying keys the record has most of (at least two)."""
    scored = sorted(
        ((FAMILIES.get(n).detect(data), n) for n in FAMILIES), key=lambda s: (-s[0], s[1])
    )
    best, name = scored[0]
    return FAMILIES.get(name) if best >= 2 else None


def import_records(path: Path) -> ImportResult:
    result = ImportResult("", 0)
    taken: set[str] = set()
    done: list[Imported] = []
    ids: dict[str, int] = {}  # record id -> the line that first used it
    for item in read_lines(path):
        if isinstance(item, Problem):
            result.problems.append(item)
            continue
        rid = item.data.get("id")
        if isinstance(rid, str) and rid in ids:
            why = f"repeats the id of line {ids[rid]}; episode ids must be unique"
            result.problems.append(Problem(str(path), item.number, "id", why, rid))
            continue
        if isinstance(rid, str):
            ids[rid] = item.number
        imported = _one(path, item, taken, result)
        if imported is not None:
            done.append(imported)
    result.records = len(done)
    if done:
        result.source = _file(path, done, result.families)
    return result


def _one(path: Path, line: Line, taken: set[str], result: ImportResult) -> Imported | None:
    rid = line.data.get("id") if isinstance(line.data.get("id"), str) else None
    family = detect(line.data)
    if family is None:
        keys = ", ".join(sorted(line.data)[:8])
        result.problems.append(
            Problem(
                str(path),
                line.number,
                "",
                f"is not a MUSES Bench record of any family (it has: {keys})",
                rid,
            )
        )
        return None
    attempt = set(taken)
    try:
        imported = family.scenario(Fields(line.data), attempt)
        imported.text = render(imported.scenario)
    except RecordError as exc:
        result.problems.append(Problem(str(path), line.number, exc.field, exc.message, rid))
        return None
    except (ValueError, TypeError) as exc:  # a value the source writer cannot express
        why = f"cannot be written: {exc}"
        result.problems.append(Problem(str(path), line.number, "", why, rid))
        return None
    taken |= attempt
    result.families[family.name] += 1
    return imported


def _file(path: Path, done: list[Imported], families: Counter[str]) -> str:
    kinds = ", ".join(f"{n} {FAMILIES.get(f).label or f}" for f, n in families.most_common())
    head = [
        f"# Imported from {path.name} by `museslang import muses-bench`: {kinds} record(s).",
        "# One scenario per record; `extra:` keeps record fields museslang does not model,",
        "# and `museslang export muses-bench` writes the records back.",
        "",
    ]
    modules = sorted({m for d in done for m in d.imports})
    head += [f"import std.{m}" for m in modules]
    body = [d.text for d in done]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"
