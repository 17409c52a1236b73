"""Grammar tables kept in the cache folder, as signed JSON: a new process loads lark's LALR
tables in a few milliseconds instead of building them (about 30 ms per grammar).

lark's own `cache=` keeps them as a pickle, and loading a planted pickle runs whatever it
holds; the folder may be someone else's to write (docs/scale.md). So the tables are
lark's own serialisation (`memo_serialize`: dicts, lists, strings, numbers) written as
JSON, signed with this user's key (`cache_folder`), and read back with `Lark.load`. A
table file that does not verify or does not load is a miss, and the parser is built.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museslang import cache_folder

if TYPE_CHECKING:
    from lark import Lark


def lark_parser(grammar: str, **options: Any) -> Lark:
    """A LALR parser for `grammar`: its tables read from the cache folder when this user's
    museslang kept them there (a new process loads them in a few ms instead of building
    them in 30), else built and kept. They are kept as signed JSON (`cache_signing`), never
    as lark's own `cache=` pickle: loading a planted pickle runs whatever it holds. A table
    file that does not verify or does not load is a miss, and the parser is built."""
    import lark

    base = cache_folder.folder()
    described = grammar + "\0" + repr(sorted(options.items()))
    digest = hashlib.sha256(described.encode()).hexdigest()[:24]
    name = f"parsers/{digest}-lark{lark.__version__}.json"
    if base is not None and (kept := _tables(base, name)) is not None:
        return kept
    parser = lark.Lark(grammar, **options)
    if base is not None:
        _keep_tables(base, name, parser)
    return parser


def _tables(base: Path, name: str) -> Lark | None:
    from lark import Lark

    try:
        signature, _, data = (base / name).read_bytes().partition(b"\n")
        if not cache_folder.verify(base, name, data, signature.decode("ascii")):
            return None
        return Lark.load(_untagged(json.loads(data)))
    except Exception:  # any failure to read our own tables is only a miss
        return None


def _keep_tables(base: Path, name: str, parser: Lark) -> None:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        text = json.dumps(_tagged({"data": data, "memo": memo}), separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return  # something in the tables JSON cannot hold: build them each time
    signature = cache_folder.sign(base, name, text)
    if signature is None:
        return
    try:
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        cache_folder.write(base / name, signature.encode() + b"\n" + text)
    except OSError:
        return


# lark's serialised tables are dicts with integer keys and tuples, which JSON lacks:
# {"#": [[key, value], ...]} is a dict with other keys, {"()": [...]} a tuple
def _tagged(value: Any) -> Any:
    if isinstance(value, dict):
        if all(type(k) is str for k in value) and not (value.keys() & {"#", "()"}):
            return {k: _tagged(v) for k, v in value.items()}
        return {"#": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"()": [_tagged(v) for v in value]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the parser tables")


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "#" in value:
            return {_untagged(k): _untagged(v) for k, v in value["#"]}
        if len(value) == 1 and "()" in value:
            return tuple(_untagged(v) for v in value["()"])
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value
