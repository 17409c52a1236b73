"""Lark tree -> AST. Never raises: literal values are decoded, not validated."""

from __future__ import annotations

from lark import Token, Transformer, Tree

from museslang.source import SourceFile, Span
from museslang.syntax import ast, literals


def _span(src: SourceFile, first: Token | ast.Node, last: Token | ast.Node) -> Span:
    a = first.span if isinstance(first, ast.Node) else _tspan(src, first)
    b = last.span if isinstance(last, ast.Node) else _tspan(src, last)
    return Span(src.display, a.line, a.column, b.end_line, b.end_column)


def _tspan(src: SourceFile, tok: Token) -> Span:
    return Span(src.display, tok.line or 1, tok.column or 1, tok.end_line or 1, tok.end_column or 1)


def _is_real(tok: object) -> bool:
    """Tokens the recovery fed at end of file have no position; skip them."""
    return not (isinstance(tok, Token) and not tok.line)


class ToAst(Transformer):
    def __init__(self, src: SourceFile) -> None:
        super().__init__(visit_tokens=False)
        self.src = src

    def module(self, tree: Tree) -> ast.Module:
        result = self.transform(tree)
        return result if isinstance(result, ast.Module) else ast.Module(file=self.src.display)

    # ---- structure -------------------------------------------------------------
    def start(self, items: list) -> ast.Module:
        mod = ast.Module(file=self.src.display)
        for item in items:
            if isinstance(item, ast.Import):
                mod.imports.append(item)
            elif isinstance(item, ast.Decl):
                mod.decls.append(item)
        return mod

    def import_stmt(self, children: list) -> ast.Import:
        kw, target, _as, alias = children
        if isinstance(target, ast.Str):
            name, is_path, tspan = target.value, True, target.span
        else:
            name, is_path, tspan = target.dotted, False, target.span
        alias_ident = ast.Ident(_tspan(self.src, alias), str(alias)) if alias is not None else None
        end = alias_ident or target
        return ast.Import(_span(self.src, kw, end), name, is_path, alias_ident, tspan)

    def path_ref(self, children: list) -> ast.Str:
        (tok,) = children
        return ast.Str(_tspan(self.src, tok), literals.string_value(tok))

    def dotted(self, children: list) -> ast.Ref:
        names = [t for t in children if isinstance(t, Token) and t.type == "NAME"]
        return ast.Ref(_span(self.src, names[0], names[-1]), tuple(str(n) for n in names))

    def parent(self, children: list) -> ast.Ref:
        return self.dotted(children)

    def decl(self, children: list) -> ast.Decl:
        kind_tok, name_tok, _extends, parent, label_tok, lbrace = children[:6]
        rbrace = children[-1]
        members = children[6:-1]
        kind = ast.Ident(_tspan(self.src, kind_tok), str(kind_tok))
        name = (
            ast.Ident(_tspan(self.src, name_tok), str(name_tok)) if name_tok is not None else None
        )
        label = (
            ast.Str(_tspan(self.src, label_tok), literals.string_value(label_tok))
            if label_tok is not None
            else None
        )
        head_end = label or parent or name or kind
        head = Span(
            self.src.display,
            kind.span.line,
            kind.span.column,
            head_end.span.end_line,
            head_end.span.end_column,
        )
        last = rbrace if _is_real(rbrace) else (members[-1] if members else lbrace)
        fields = tuple(m for m in members if isinstance(m, ast.Field))
        children_decls = tuple(m for m in members if isinstance(m, ast.Decl))
        return ast.Decl(
            _span(self.src, kind_tok, last),
            kind,
            name,
            label,
            fields,
            children_decls,
            head,
            parent if isinstance(parent, ast.Ref) else None,
        )

    def field(self, children: list) -> ast.Field:
        key_tok, _colon, value, _comma = children
        key = ast.Ident(_tspan(self.src, key_tok), str(key_tok))
        return ast.Field(_span(self.src, key_tok, value), key, value)

    # ---- values ------------------------------------------------------------------
    def string(self, children: list) -> ast.Str:
        (tok,) = children
        return ast.Str(_tspan(self.src, tok), literals.string_value(tok))

    def text(self, children: list) -> ast.Str:
        (tok,) = children
        return ast.Str(_tspan(self.src, tok), literals.text_block_value(tok), block=True)

    def number(self, children: list) -> ast.Number:
        (tok,) = children
        return ast.Number(_tspan(self.src, tok), literals.number_value(tok), str(tok))

    def percent(self, children: list) -> ast.Percent:
        (tok,) = children
        return ast.Percent(_tspan(self.src, tok), literals.percent_value(tok), str(tok))

    def duration(self, children: list) -> ast.Duration:
        (tok,) = children
        return ast.Duration(_tspan(self.src, tok), literals.duration_seconds(tok), str(tok))

    def time(self, children: list) -> ast.Time:
        (tok,) = children
        day, hour, minute = literals.time_parts(tok)
        return ast.Time(_tspan(self.src, tok), day, hour, minute, " ".join(str(tok).split()))

    def range(self, children: list) -> ast.Range:
        low, _dots, high = children
        return ast.Range(_span(self.src, low, high), low, high)

    def ref(self, children: list) -> ast.Ref:
        (dotted,) = children
        return dotted

    def call(self, children: list) -> ast.Call:
        func = children[0]
        rpar = children[-1]
        args = []
        for c in children[2:-1]:
            if c is None or isinstance(c, Token):
                continue
            args.append(c if isinstance(c, ast.Arg) else ast.Arg(c.span, None, c))
        last = rpar if _is_real(rpar) else func
        return ast.Call(_span(self.src, func, last), func, tuple(args))

    def named_arg(self, children: list) -> ast.Arg:
        name_tok, _colon, value = children
        name = ast.Ident(_tspan(self.src, name_tok), str(name_tok))
        return ast.Arg(_span(self.src, name_tok, value), name, value)

    def compare(self, children: list) -> ast.Compare:
        left, op, right = children
        return ast.Compare(_span(self.src, left, right), left, str(op), right)

    def list(self, children: list) -> ast.ListValue:
        lsq, rsq = children[0], children[-1]
        items = tuple(c for c in children[1:-1] if isinstance(c, ast.Value))
        last = rsq if _is_real(rsq) else (items[-1] if items else lsq)
        return ast.ListValue(_span(self.src, lsq, last), items)

    def object(self, children: list) -> ast.Object:
        lb, rb = children[0], children[-1]
        fields = tuple(c for c in children[1:-1] if isinstance(c, ast.Field))
        last = rb if _is_real(rb) else (fields[-1] if fields else lb)
        return ast.Object(_span(self.src, lb, last), fields)
