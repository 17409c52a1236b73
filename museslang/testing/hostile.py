"""A corpus of hostile inputs for every command: specs, official records and run folders.

Each case is a file (or folder) that something once broke on, or that a careful
adversary would try: sizes past every limit, nesting past the stack, bytes that are
not UTF-8, surrogate escapes, numbers with thousands of digits, paths that name
nothing a file can be, results files edited by hand. `scale` makes the size cases
small (tests, in CI) or large (`benchmarks/fuzz.py --hostile`).

The promise under test: every command ends with exit 0, 1 or 2 and a message; never
a traceback, never a hang, never an unbounded allocation.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from museslang.testing import corpus


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # spec | records | run
    make: Callable[[Path], Path]  # writes the input under a folder, returns its path


def _spec(name: str, text: str | bytes) -> Case:
    def make(folder: Path) -> Path:
        path = folder / f"{name}.muses"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return Case(name, "spec", make)


def spec_cases(scale: int = 1) -> list[Case]:
    """`scale` 1 keeps every case under a few hundred KB; 10 makes the size cases 10x.

    The cases are built on the first family's base spec (its fields do not matter:
    these break the reader, the checker's limits and the file system), and each family
    adds those only its own fields can write (museslang.testing.corpus)."""
    rng = random.Random(scale)
    noise = "".join(chr(rng.randrange(0x80, 0x3000)) for _ in range(6_000 * scale))
    deep = "[" * (600 * scale) + "]" * (600 * scale)
    family, base = corpus.base()

    def _based(name: str, body: str) -> Case:
        return _spec(name, base.format(body=body))

    bare = f"scenario s {{ family: {family} }}\n"
    cases = [
        _spec("dollars", "$\n" * (1_000 * scale)),
        _spec("noise", noise),
        _spec("not_utf8", f'scenario s {{ family: {family} title: "caf'.encode() + b'\xe9" }\n'),
        _spec("nul_bytes", f"scenario s {{\x00 family: {family} }}\n"),
        _based("huge_number", f"protocol {{ max_turns: {'9' * 5000} }}"),
        _based("huge_float", f"protocol {{ max_turns: {'9' * 5000}.5 }}"),
        _based("long_literal", f'title: "{"ab" * 100_000 * scale}"'),
        _based("long_text_block", 'title: """\n' + "line\n" * 20_000 * scale + '"""'),
        _based("deep_list", f"extra: {{ v: {deep} }}"),
        _based("surrogate", 'title: "\\uD800"'),
        _based("pair", 'title: "\\uD83D\\uDE00"'),
        _spec("import_nul", 'import "./a\\u0000b.muses"\n' + bare),
        _spec("import_root", 'import "/"\n' + bare),
        _spec("import_long", f'import "./{"a" * 300}.muses"\n' + bare),
        _spec("import_text", 'import "./notes.txt"\n' + bare),
        _spec("import_self", 'import "./import_self.muses"\n' + bare),
        _based("prompt_nul", 'protocol { prompt: "a\\u0000.j2" }'),
        _based("prompt_missing", 'protocol { prompt: "../../../../etc/passwd" }'),
        _based("template_bomb", 'protocol { prompt: "bomb.j2" }'),
        _spec("truncated", base.format(body="")[:40]),
        _spec("empty", ""),
        _spec("comments_only", "# nothing here\n" * 100),
        _spec("unclosed_everything", 'scenario s { user A { prefers: [Tue 9:30, ( { [ """\n'),
    ]
    for _, lent in corpus.corpora():
        cases += [_spec(name, text) for name, text in lent.hostile(scale)]
    return cases


def _records(name: str, lines: list[bytes]) -> Case:
    def make(folder: Path) -> Path:
        path = folder / f"{name}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path

    return Case(name, "records", make)


def record_cases(scale: int = 1) -> list[Case]:
    good = json.dumps(corpus.record()).encode()
    deep = b"[" * (900 * scale) + b"]" * (900 * scale)
    return [
        _records("not_utf8_line", [good, b'{"id": "caf\xe9"}']),
        _records("not_json", [b"{not json", good]),
        _records("not_object", [b"[1, 2]", b"null", b"3"]),
        _records("huge_number", [b'{"id": "x", "n": ' + b"9" * 5000 + b"}"]),
        _records("deep", [b'{"id": "x", "extra": ' + deep + b"}"]),
        _records("big_list", [json.dumps(corpus.record(pad=list(range(20_000 * scale)))).encode()]),
        _records("surrogate", [json.dumps(corpus.record(system_prompt="a \ud800 b")).encode()]),
        _records(
            "separators",
            [
                json.dumps(
                    corpus.record(system_prompt="a\u2028b\u0085c"), ensure_ascii=False
                ).encode()
            ],
        ),
        _records("duplicate_ids", [good, good]),
        _records("wrong_types", [json.dumps({"id": 3, "users": "Ana"}).encode()]),
        _records("empty_file", []),
    ]


def run_cases() -> list[tuple[str, Callable[[Path], None]]]:
    """Ways to damage a finished run folder (applied to a copy of one)."""

    def lines(folder: Path) -> list[str]:
        return (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()

    def put(folder: Path, rows: list[str], end: str = "\n") -> None:
        (folder / "results.jsonl").write_text("\n".join(rows) + end, encoding="utf-8")

    def edit(key: str, value: object) -> Callable[[Path], None]:
        def damage(folder: Path) -> None:
            rows = lines(folder)
            row = json.loads(rows[0])
            row[key] = value
            put(folder, [json.dumps(row), *rows[1:]])

        return damage

    return [
        ("unknown_status", edit("status", "finished")),
        ("bad_metric", edit("metrics", {"success": "yes"})),
        ("negative_trial", edit("trial", -1)),
        ("other_seed", edit("seed", 12345)),
        ("other_episode", edit("id", "nope")),
        ("cut_last_line", lambda f: put(f, [*lines(f)[:-1], lines(f)[-1][:30]], "")),
        ("no_newline", lambda f: put(f, lines(f), "")),
        (
            "surrogate_escape",
            lambda f: put(f, [lines(f)[0].replace('"ok"', '"ok\\ud800"', 1), *lines(f)[1:]]),
        ),
        ("no_run_json", lambda f: (f / "run.json").unlink()),
        ("bad_run_json", lambda f: (f / "run.json").write_text("{not json")),
        ("run_json_list", lambda f: (f / "run.json").write_text("[1, 2]")),
        ("empty_results", lambda f: (f / "results.jsonl").write_text("")),
        ("binary_results", lambda f: (f / "results.jsonl").write_bytes(b"\xff\xfe\x00" * 100)),
        (
            "results_is_a_folder",
            lambda f: ((f / "results.jsonl").unlink(), (f / "results.jsonl").mkdir()),
        ),
    ]


def prepare_folder(folder: Path) -> None:
    """Files the spec cases refer to: a text file, a template bomb."""
    (folder / "notes.txt").write_text("hello\nworld\n", encoding="utf-8")
    (folder / "bomb.j2").write_text('{{ ("x" * 2000000).replace("x", "x" * 2000000) }}')


def copy_run(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to
