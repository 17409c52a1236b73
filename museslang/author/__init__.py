"""Authoring at scale: scenarios written by a model and kept only when the compiler, the
oracle gate and the mutation audit accept them (`museslang author`).

    from museslang.author import AuthorRequest, ScriptedAuthor, author
    report = author(AuthorRequest("meeting", Path("out"), 4, example=text), ScriptedAuthor(replies))
"""

from __future__ import annotations

from museslang.author.example import described, example
from museslang.author.models import Author, AuthorError, BackendAuthor, ScriptedAuthor, make_author
from museslang.author.run import Attempt, AuthorReport, AuthorRequest, author, write_scenarios

__all__ = [
    "Attempt",
    "Author",
    "AuthorError",
    "AuthorReport",
    "AuthorRequest",
    "BackendAuthor",
    "ScriptedAuthor",
    "author",
    "described",
    "example",
    "make_author",
    "write_scenarios",
]
