"""The declaration reference of docs/language.md, generated from `model.KINDS`.

The catalogue is the single source of truth for what may be declared; the
docs quote it rather than restate it, and a test keeps the two identical
(`MUSESLANG_UPDATE_GOLDEN=1 python -m pytest tests/test_docs.py` rewrites it).
"""

from __future__ import annotations

from museslang.semantics.model import KINDS, NESTED_KINDS

BEGIN = "<!-- declaration reference: generated from museslang/semantics/model.py -->"
END = "<!-- end of declaration reference -->"


def declaration_reference() -> str:
    lines: list[str] = [BEGIN, ""]
    entries = [(k, s, "") for k, s in KINDS.items()]
    entries += [(k.split(".")[1], s, f" (in a {k.split('.')[0]})") for k, s in NESTED_KINDS.items()]
    for kind, spec, inside in entries:
        parents = [p for p, s in KINDS.items() if kind in s.children]
        if inside:
            parents = [inside.split()[-1].rstrip(")")]
        elif "scenario" in parents:
            parents = ["scenario"]
        where = "Top level." if spec.top_level else f"Inside a {' or '.join(parents)}."
        lines += [
            (f"### `{kind}` NAME" if spec.named else f"### `{kind}`") + inside,
            "",
            f"{spec.doc}. {where}",
            "",
            "| field | type | required | meaning |",
            "|---|---|---|---|",
        ]
        for name, f in spec.fields.items():
            required = "yes" if f.required else ""
            lines.append(f"| `{name}` | {f.type.describe} | {required} | {f.doc} |")
        if spec.children:
            nested = ", ".join(f"`{c}`" for c in spec.children)
            lines += ["", f"Nested declarations: {nested}."]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_reference(doc: str) -> str:
    """The document with its reference section regenerated."""
    start, end = doc.index(BEGIN), doc.index(END) + len(END) + 1
    return doc[:start] + declaration_reference() + doc[end:]
