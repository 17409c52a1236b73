"""Writing an answer that satisfies a set of instructions: the compiler's witness.

The instruction-following generator keeps a set of constraints only when this
writer produces an answer that every verifier accepts, so each compiled
episode is proved satisfiable; the reference oracle answers with the same
text. The writer lays out a fixed skeleton (repeated prompt, title,
paragraphs with their first words, keywords, placeholders, highlights,
bullets, postscript, closing phrase, then case, quotes or JSON) and searches
over how much plain prose to add, accepting the first candidate the verifiers
pass. It is a constructive search, not a model: when it finds nothing within
its budget it says so (None) and the generator draws another combination.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from museslang.instructions import text
from museslang.instructions.conflicts import Rule
from museslang.instructions.languages import PROSE
from museslang.instructions.verifiers import verify

MAX_FILLER = 60
_PLACEHOLDERS = ("name", "date", "place", "time", "team", "link", "room", "topic")


def satisfied(response: str, rules: Sequence[Rule]) -> bool:
    return all(verify(r.id, response, r.args) for r in rules)


def compose(rules: Sequence[Rule], seed: int = 0) -> str | None:
    """An answer every rule accepts, or None when the search finds none.

    The same set of rules gives the same answer in any order, so an episode and its
    reordered variant get one witness."""
    rules = sorted(set(rules), key=lambda r: (r.id, repr(r.kwargs)))
    spec = _Skeleton(rules, seed)
    if not spec.filler:
        return None
    order = list(rules)
    start = spec.start_hint()
    for extra in range(start, start + MAX_FILLER):
        candidate = spec.render(extra)
        failed = next((r for r in order if not verify(r.id, candidate, r.args)), None)
        if failed is None:
            return candidate
        # candidates differ only in length, so the rule that failed this one (a word or
        # sentence count) usually fails the next: check it first (same answer, less work)
        order.remove(failed)
        order.insert(0, failed)
    return None


def compose_most(rules: Sequence[Rule], seed: int = 0) -> str:
    """An answer that meets every rule if one is found; otherwise one that meets as many
    as the writer can, taking the rules greedily in the order given (callers list the
    higher authority's first). Imported records may bind contradicting rules."""
    whole = compose(rules, seed)
    if whole is not None:
        return whole
    kept: list[Rule] = []
    for rule in rules:
        if compose([*kept, rule], seed) is not None:
            kept.append(rule)
    return compose(kept, seed) or ""


class _Skeleton:
    def __init__(self, rules: Sequence[Rule], seed: int) -> None:
        self.by_id: dict[str, list[dict]] = {}
        for r in rules:
            self.by_id.setdefault(r.id, []).append(r.args)
        lang = self.first("language:response_language", {}).get("language", "en")
        bank = PROSE.get(lang, ())
        avoid = [w for k in self.all("keywords:forbidden_words") for w in k["forbidden_words"]]
        limited = [
            k["keyword"] for k in self.all("keywords:frequency") if k["relation"] == "less than"
        ]
        self.filler = [
            s
            for s in bank
            if not any(re.search(r"\b" + w + r"\b", s, re.IGNORECASE) for w in avoid)
            and not any(re.search(w, s, re.IGNORECASE) for w in limited)
        ]
        if self.filler:
            start = seed % len(self.filler)
            self.filler = self.filler[start:] + self.filler[:start]

    def start_hint(self) -> int:
        """How many filler sentences a long answer needs before the search starts: "at
        least 1,200 words" is 150 sentences of prose, past a search that adds them one by
        one from none."""
        words = self.all("length_constraints:number_words")
        sentences = self.all("length_constraints:number_sentences")
        want_words = max((k["num_words"] for k in words if k["relation"] == "at least"), default=0)
        want_sentences = max(
            (k["num_sentences"] for k in sentences if k["relation"] == "at least"), default=0
        )
        if not (want_words or want_sentences):
            return 0
        base = self.render(0)
        per = sum(len(text.words(s)) for s in self.filler) / len(self.filler)
        short_words = (want_words - len(text.words(base))) / max(per, 1.0)
        short_sentences = want_sentences - len(text.sentences(base))
        return max(0, int(max(short_words, short_sentences)) - 2)

    def all(self, ident: str) -> list[dict]:
        return self.by_id.get(ident, [])

    def first(self, ident: str, default: dict | None = None) -> dict:
        found = self.all(ident)
        return found[0] if found else (default or {})

    def sentence(self, i: int) -> str:
        return self.filler[i % len(self.filler)]

    def _specials(self) -> list[str]:
        """Sentences that carry required words, letters, placeholders and highlights."""
        tokens: list[str] = []
        for k in self.all("keywords:existence"):
            tokens += k["keywords"]
        for k in self.all("keywords:frequency"):
            if k["relation"] == "at least":
                tokens += [k["keyword"]] * k["frequency"]
        for k in self.all("keywords:letter_frequency"):
            if k["let_relation"] == "at least":
                tokens.append(k["letter"].lower() * k["let_frequency"])
        caps = max(
            (
                k["capital_frequency"]
                for k in self.all("change_case:capital_word_frequency")
                if k["capital_relation"] == "at least"
            ),
            default=0,
        )
        tokens += ["NOTE"] * caps
        out = [" ".join(tokens) + "."] if tokens else []
        holders = max((k["num_placeholders"] for k in self.all(_PH)), default=0)
        if holders:
            names = [_PLACEHOLDERS[i % len(_PLACEHOLDERS)] + f" {i + 1}" for i in range(holders)]
            out.append("See " + " ".join(f"[{n}]" for n in names) + ".")
        marks = max((k["num_highlights"] for k in self.all(_HL)), default=0)
        if marks:
            out.append("See " + " ".join(f"*point {i + 1}*" for i in range(marks)) + ".")
        return out

    def _body(self, extra: int, offset: int) -> str:
        counted = self.first("length_constraints:number_paragraphs")
        nth = self.first("length_constraints:nth_paragraph_first_word")
        n_par = counted.get("num_paragraphs") or nth.get("num_paragraphs") or 1
        paragraphs: list[list[str]] = [[self.sentence(offset + i)] for i in range(n_par)]
        for i in range(extra):
            paragraphs[i % n_par].append(self.sentence(offset + n_par + i))
        if nth and 1 <= nth["nth_paragraph"] <= n_par:
            lines = paragraphs[nth["nth_paragraph"] - 1]
            lines[0] = f"{nth['first_word']} {lines[0][:1].lower()}{lines[0][1:]}"
        sections = self.first("detectable_format:multiple_sections")
        if sections:
            # the section headings open the first sentences; more headings than sentences
            # get a line of their own
            plain = [(p, i) for p, lines in enumerate(paragraphs) for i in range(len(lines))]
            for n in range(sections["num_sections"]):
                heading = f"{sections['section_spliter']} {n + 1}"
                if n < len(plain):
                    p, i = plain[n]
                    paragraphs[p][i] = f"{heading}\n{paragraphs[p][i]}"
                else:
                    paragraphs[-1].append(f"{heading}\n{_clause(self.sentence(offset + n))}.")
        first = paragraphs[0]
        first[1:1] = self._specials()
        last = paragraphs[-1]
        bullets = self.first("detectable_format:number_bullet_lists")
        if bullets:
            # items without a full stop read as one list, not as separate sentences
            items = range(bullets["num_bullets"])
            last += [f"* {_clause(self.sentence(offset + i))}" for i in items]
        if "detectable_format:constrained_response" in self.by_id:
            last.append("My answer is yes.")
        ps = self.first("detectable_content:postscript")
        if ps:
            last.append(f"{ps['postscript_marker']} {_clause(self.sentence(offset + 1))}.")
        separator = "\n***\n" if counted else "\n\n"
        return separator.join("\n".join(p) for p in paragraphs)

    def render(self, extra: int) -> str:
        body = self._body(extra, 0)
        title = "<<Notes>>\n" if "detectable_format:title" in self.by_id else ""
        nth = self.first("length_constraints:nth_paragraph_first_word")
        if title and nth.get("nth_paragraph") == 1:
            head, _, rest = body.partition("\n")
            body, title = f"{head}\n{title.strip()}\n{rest}".rstrip(), ""
        text = title + body
        if "combination:two_responses" in self.by_id:
            text = self.sentence(2) + "\n******\n" + text
        repeat = self.first("combination:repeat_prompt")
        if repeat:
            text = repeat["prompt_to_repeat"].strip() + "\n" + text
        end = self.first("startend:end_checker")
        if end:
            text = text.rstrip() + " " + end["end_phrase"].strip()
        key = "answer"
        if "change_case:english_capital" in self.by_id:
            text, key = text.upper(), "ANSWER"
        elif "change_case:english_lowercase" in self.by_id:
            text = text.lower()
        quoted = "startend:quotation" in self.by_id
        if "detectable_format:json_format" in self.by_id:
            text = text.replace("\n", " ")  # an escaped newline would glue words together
            # a JSON string literal is valid JSON, starts and ends with a quote, and keeps
            # a closing phrase at the very end
            if quoted or end:
                return json.dumps(text, ensure_ascii=False)
            return json.dumps({key: text}, ensure_ascii=False)
        return f'"{text}"' if quoted else text


def _clause(sentence: str) -> str:
    """A sentence as a lowercase clause without its full stop."""
    return sentence[:1].lower() + sentence[1:].rstrip(".!?")


_PH = "detectable_content:number_placeholders"
_HL = "detectable_format:number_highlighted_sections"
