"""Expressions: the small language a family written in museslang states its goals,
metrics, draws and plays in (`holds: "grant[u].amount >= u.floor"`).

They live inside strings of the .muses file, so the main grammar stays generic; this
module parses one string with `grammars/expr.lark` into nodes that remember their
offsets in it, and `Located` maps an offset back to the spec's line and column, so a
mistake in an expression is a diagnostic with a caret like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from museslang.parser_tables import lark_parser
from museslang.resources import grammar_path
from museslang.source import Span


@dataclass(eq=False)
class Node:
    start: int
    end: int


@dataclass(eq=False)
class Lit(Node):
    value: object  # float | int | str | bool | None


@dataclass(eq=False)
class Name(Node):
    name: str


@dataclass(eq=False)
class Attr(Node):
    obj: Node
    name: str


@dataclass(eq=False)
class Index(Node):
    obj: Node
    key: Node


@dataclass(eq=False)
class BinOp(Node):
    op: str  # + - * / == != < <= > >= in and or
    left: Node
    right: Node


@dataclass(eq=False)
class Not(Node):
    operand: Node


@dataclass(eq=False)
class Neg(Node):
    operand: Node


@dataclass(eq=False)
class Cond(Node):
    then: Node
    test: Node
    other: Node


@dataclass(eq=False)
class ListLit(Node):
    items: list[Node]


@dataclass(eq=False)
class Binding:
    """`u in users [where cond] [: body]`: the one argument of an aggregate."""

    var: str
    var_node: Node
    domain: Node
    where: Node | None
    body: Node | None


@dataclass(eq=False)
class Call(Node):
    """A built-in function (an aggregate when it has a binding) or a family's `def`."""

    fn: str
    args: list[Node] = field(default_factory=list)
    binding: Binding | None = None


@dataclass(eq=False)
class Comp(Node):
    """`[o in options where o.id != u.current]`: the elements that pass (with a body
    after ':', their values), in the collection's order."""

    binding: Binding


@dataclass(eq=False)
class LetValue:
    """`name = value`, one of a `let`'s values."""

    name: str
    name_node: Node
    value: Node


@dataclass(eq=False)
class Let(Node):
    """`let p = book.trip.price in p <= u.budget`: each value is named for the ones after
    it and for the body."""

    values: list[LetValue]
    body: Node


# Bounds on one expression, checked before it is parsed or walked: parsing costs about
# 10 microseconds a character (a 300,000-item list took 40 s), and every stage after it
# (types, constants, cost, evaluation) recurses once per level of nesting.
MAX_CHARS = 20_000
MAX_DEPTH = 200
MAX_DIGITS = 15  # digits before the point of a number written in an expression


class ExprError(Exception):
    """A syntax error at an offset of the expression text."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.hint = hint


@cache
def _lark() -> Lark:
    text = (grammar_path().parent / "expr.lark").read_text(encoding="utf-8")
    return lark_parser(text, parser="lalr", propagate_positions=True, maybe_placeholders=True)


@cache
def keywords() -> frozenset[str]:
    """The words the expression grammar reserves (`and`, `let`, `true` ...): never a name a
    rename may give (a name it reads as a keyword in one place and a name in another)."""
    from lark.lexer import PatternStr

    return frozenset(
        t.pattern.value
        for t in _lark().terminals
        if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
    )


_WORDS = {
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "LSQB": "'['",
    "COLON": "':'",
    "COMMA": "','",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a 'string'",
    "CMP": "a comparison",
    "ELSE": "'else'",
    "IN": "'in'",
    "EQ": "'='",
    "WHERE": "'where'",
    "$END": "the end",
}


# what cannot follow a `let` value unparenthesised (a comparison, a connective)
_ENDS_A_LET = {"CMP", "AND", "OR", "IF", "WHERE", "NOT"}


def parse(text: str) -> Node:
    """The expression's nodes; `ExprError` with the offset of the first mistake."""
    if len(text) > MAX_CHARS:
        raise ExprError(
            f"the expression is {len(text):,} characters long, over the bound of {MAX_CHARS:,}",
            MAX_CHARS,
            "move long lists into facts (a list fact, or `options`)",
        )
    try:
        tree = _lark().parse(text)
    except UnexpectedToken as exc:
        expected = sorted(_WORDS.get(t, t.lower()) for t in exc.expected)[:6]
        hint = "expected " + ", ".join(expected) if expected else None
        if {"IN", "COMMA"} <= set(exc.expected) and exc.token.type in _ENDS_A_LET:
            hint = (
                "a let's value is arithmetic, a name or a call: parenthesise a condition, "
                "let ok = (a <= b) in ..."
            )
        if exc.token.type == "$END":
            raise ExprError("the expression ends too early", len(text), hint) from None
        raise ExprError(
            f"unexpected {str(exc.token)!r} in expression", _offset(text, exc), hint
        ) from None
    except UnexpectedCharacters as exc:
        where = _offset(text, exc)
        hint = "strings in expressions use single quotes: 'vegan'" if text[where] == '"' else None
        raise ExprError(
            f"unexpected character {text[where]!r} in expression", where, hint
        ) from None
    except UnexpectedEOF as exc:
        raise ExprError("the expression ends too early", len(text)) from exc
    except UnexpectedInput as exc:  # pragma: no cover - lark's other input errors
        raise ExprError(str(exc).splitlines()[0], _offset(text, exc)) from None
    return _node(tree, 0)


def _offset(text: str, exc: UnexpectedInput) -> int:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None and isinstance(exc, UnexpectedToken):
        pos = exc.token.start_pos
    return min(max(pos or 0, 0), max(len(text) - 1, 0))


def _span(item: Tree | Token) -> tuple[int, int]:
    if isinstance(item, Token):
        return item.start_pos or 0, item.end_pos or 0
    return item.meta.start_pos, item.meta.end_pos


def _node(item: Tree | Token, depth: int) -> Node:
    start, end = _span(item)
    if isinstance(item, Token):  # a parenthesised bare token never reaches here
        raise ExprError("unexpected token", start)
    if depth > MAX_DEPTH:
        raise ExprError(
            f"the expression nests more than {MAX_DEPTH} levels deep", start,
            "split it: a long chain of operators nests one level per operator",
        )  # fmt: skip
    kind, kids = item.data, item.children

    def node(kid: Tree | Token) -> Node:
        return _node(kid, depth + 1)

    if kind == "number":
        raw = str(kids[0])
        if len(raw.partition(".")[0].lstrip("0")) > MAX_DIGITS:
            raise ExprError(
                f"the number has more than {MAX_DIGITS} digits before the point", start,
                "numbers in expressions stay below 10^15; give larger ones as facts",
            )  # fmt: skip
        return Lit(start, end, float(raw) if "." in raw else int(raw))
    if kind == "string":
        return Lit(start, end, str(kids[0])[1:-1])
    if kind in ("true", "false", "none"):
        return Lit(start, end, {"true": True, "false": False, "none": None}[kind])
    if kind == "name":
        return Name(start, end, str(kids[0]))
    if kind == "attr":
        return Attr(start, end, node(kids[0]), str(kids[2]))
    if kind == "index":
        return Index(start, end, node(kids[0]), node(kids[2]))
    if kind == "binop":
        return BinOp(start, end, str(kids[1]), node(kids[0]), node(kids[2]))
    if kind == "not_in":
        inner = BinOp(start, end, "in", node(kids[0]), node(kids[3]))
        return Not(start, end, inner)
    if kind == "not_":
        return Not(start, end, node(kids[1]))
    if kind == "neg":
        return Neg(start, end, node(kids[1]))
    if kind == "cond":
        return Cond(start, end, node(kids[0]), node(kids[2]), node(kids[4]))
    if kind == "list":
        return ListLit(start, end, [node(k) for k in kids if isinstance(k, Tree)])
    if kind == "call":
        args = [k for k in kids[2:-1] if isinstance(k, Tree)]
        return _call(start, end, str(kids[0]), args, node)
    if kind == "comp":
        return Comp(start, end, _binding(kids[1], node))
    if kind == "let":
        values = []
        for k in kids[1:-2]:
            if isinstance(k, Tree):
                name = k.children[0]
                at, to = _span(name)
                values.append(LetValue(str(name), Name(at, to, str(name)), node(k.children[2])))
        return Let(start, end, values, node(kids[-1]))
    if kind == "expr" or len(kids) == 3:  # ( expr )
        inner = next(k for k in kids if isinstance(k, Tree))
        return node(inner)
    raise ExprError(f"cannot read {kind}", start)  # pragma: no cover - grammar and this agree


def _call(start: int, end: int, fn: str, args: list[Tree], node: Callable[[Tree], Node]) -> Call:
    bindings = [a for a in args if a.data.startswith("binding")]
    if not bindings:
        return Call(start, end, fn, [node(a) for a in args])
    first = bindings[0]
    if len(args) != 1:
        raise ExprError(f"{fn}(...) with a binding takes only that argument", _span(first)[0])
    return Call(start, end, fn, [], _binding(first, node))


def _binding(tree: Tree, node: Callable[[Tree], Node]) -> Binding:
    """`NAME in COLLECTION [where COND] [: BODY]`, of an aggregate or a list."""
    kids = [k for k in tree.children if isinstance(k, Tree)]
    head = node(kids[0])
    if not (isinstance(head, BinOp) and head.op == "in" and isinstance(head.left, Name)):
        raise ExprError(
            "a binding is written NAME in COLLECTION", head.start, hint="e.g. u in users"
        )
    where = node(kids[1]) if tree.data.startswith("binding_where") else None
    body = node(kids[-1]) if tree.data in ("binding", "binding_where_body") else None
    return Binding(head.left.name, head.left, head.right, where, body)


@dataclass(frozen=True)
class Located:
    """An expression string of the spec: its text and where its first character is."""

    text: str
    origin: Span  # the span of the whole string literal in the spec
    quote: int = 1  # characters before the text starts: 1 for "...", 3 for \"\"\"...\"\"\"
    # a text block: its text starts on the line after the quotes, each line indented by
    # this many columns that the block's dedent removed (None: a one-line string)
    indent: int | None = None

    @classmethod
    def written(cls, text: str, origin: Span, file_lines: list[str]) -> Located:
        """The string as written at `origin` in a file of these lines: a text block (over
        several lines) starts on the line after its quotes, dedented by its least indent."""
        if origin.end_line == origin.line:
            return cls(text, origin, quote=1)
        lines = file_lines[origin.line : origin.end_line - 1]
        widths = [len(s) - len(s.lstrip()) for s in lines if s.strip()]
        return cls(text, origin, quote=3, indent=min(widths, default=0))

    def span(self, start: int, end: int | None = None) -> Span:
        """The spec span of characters start..end of the text."""
        end = start + 1 if end is None else max(end, start + 1)
        return Span(self.origin.file, *self._at(start), *self._at(end))

    def _at(self, offset: int) -> tuple[int, int]:
        before = self.text[:offset]
        rows = before.count("\n")
        col = offset - (before.rfind("\n") + 1)
        if self.indent is not None:
            return self.origin.line + 1 + rows, self.indent + col + 1
        if rows:
            return self.origin.line + rows, col + 1
        return self.origin.line, self.origin.column + self.quote + col


def walk(node: Node | None):
    """Every node below and including `node`, bindings' parts included."""
    if node is None:
        return
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> list[Node]:
    if isinstance(node, Attr):
        return [node.obj]
    if isinstance(node, Index):
        return [node.obj, node.key]
    if isinstance(node, BinOp):
        return [node.left, node.right]
    if isinstance(node, Not | Neg):
        return [node.operand]
    if isinstance(node, Cond):
        return [node.then, node.test, node.other]
    if isinstance(node, ListLit):
        return list(node.items)
    if isinstance(node, Call):
        b = node.binding
        extra = [b.domain, *(x for x in (b.where, b.body) if x is not None)] if b else []
        return [*node.args, *extra]
    if isinstance(node, Comp):
        b = node.binding
        return [b.domain, *(x for x in (b.where, b.body) if x is not None)]
    if isinstance(node, Let):
        return [*(v.value for v in node.values), node.body]
    return []
