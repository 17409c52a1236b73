"""The 25 IFEval-style instructions: arguments, a description for users, and a check.

One registry (`INSTRUCTIONS`) serves the checker (argument names and types),
the generator (how a user words the constraint), conflict detection and the
scorer (`check`). Each check follows the published IFEval semantics of its id
(Zhou et al., 2023, `instructions.py`): the same regular expressions, the
same comparison relations ("less than" is strict, "at least" inclusive), the
same stripping. Counting words, sentences and languages is documented in
`instructions.text` and `instructions.languages`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from museslang.instructions import languages, text
from museslang.registry import Registry

RELATIONS = ("less than", "at least")
CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

Kwargs = Mapping[str, Any]


MAX_COUNT = 10_000  # any count an instruction takes; IFEval's own stay below 1,300
MAX_WORDS = 100_000  # the one count that is naturally large


@dataclass(frozen=True)
class Arg:
    kind: str  # int | str | relation | words | letter | language
    doc: str
    high: int = MAX_COUNT  # for int: the largest value that makes sense (an answer is written)

    def problem(self, value: Any) -> str | None:
        """Why a value does not fit, or None."""
        if self.kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= self.high
            return None if ok else f"a whole number from 0 to {self.high:,}"
        if self.kind == "relation":
            return None if value in RELATIONS else 'one of "less than", "at least"'
        if self.kind == "words":
            ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            return None if ok else "a list of strings"
        if self.kind == "letter":
            # IFEval asks for letters; MUSES Bench also counts marks such as "!"
            ok = isinstance(value, str) and len(value) == 1 and not value.isspace()
            return None if ok else "one letter or mark"
        if self.kind == "language":
            ok = value in languages.CODES
            return None if ok else "an ISO 639-1 language code such as de"
        return None if isinstance(value, str) and value.strip() else "a non-empty string"


@dataclass(frozen=True)
class InstructionKind:
    id: str
    args: dict[str, Arg]
    check: Callable[[str, Kwargs], bool]
    describe: Callable[[Kwargs], str]

    def problems(self, kwargs: Kwargs) -> list[str]:
        out = [f"missing argument '{name}'" for name in self.args if name not in kwargs]
        for name, value in kwargs.items():
            arg = self.args.get(name)
            if arg is None:
                out.append(f"no argument '{name}'")
            elif (why := arg.problem(value)) is not None:
                out.append(f"'{name}' must be {why}")
        return out


INSTRUCTIONS: Registry[InstructionKind] = Registry("instruction")


def instruction(
    ident: str, describe: Callable[[Kwargs], str], **args: Arg
) -> Callable[[Callable[[str, Kwargs], bool]], Callable[[str, Kwargs], bool]]:
    def add(fn: Callable[[str, Kwargs], bool]) -> Callable[[str, Kwargs], bool]:
        INSTRUCTIONS.register(ident)(InstructionKind(ident, dict(args), fn, describe))
        return fn

    return add


def verify(ident: str, response: str, kwargs: Kwargs) -> bool:
    return INSTRUCTIONS.get(ident).check(response, kwargs)


def describe(ident: str, kwargs: Kwargs) -> str:
    return INSTRUCTIONS.get(ident).describe(kwargs)


def _compare(actual: int, relation: str, n: int) -> bool:
    return actual < n if relation == "less than" else actual >= n


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


_N = Arg("int", "how many")
_REL = Arg("relation", '"less than" or "at least"')

# ---- change_case ---------------------------------------------------------------------


@instruction(
    "change_case:capital_word_frequency",
    lambda k: (
        f"Use words written in ALL CAPITALS {k['capital_relation']} "
        f"{_times(k['capital_frequency'])}."
    ),
    capital_frequency=_N,
    capital_relation=_REL,
)
def _capital_word_frequency(response: str, k: Kwargs) -> bool:
    count = len(text.capital_words(response))
    return _compare(count, k["capital_relation"], k["capital_frequency"])


@instruction(
    "change_case:english_capital",
    lambda k: "Write the whole answer in English, in capital letters only.",
)
def _english_capital(response: str, k: Kwargs) -> bool:
    return response.isupper() and languages.detect(response) in ("en", None)


@instruction(
    "change_case:english_lowercase",
    lambda k: "Write the whole answer in English, in lowercase letters only, no capitals.",
)
def _english_lowercase(response: str, k: Kwargs) -> bool:
    return response.islower() and languages.detect(response) in ("en", None)


# ---- combination ---------------------------------------------------------------------


@instruction(
    "combination:repeat_prompt",
    lambda k: (
        f'Begin by repeating this request word for word: "{k["prompt_to_repeat"]}" '
        "and only then answer."
    ),
    prompt_to_repeat=Arg("str", "the text to repeat first"),
)
def _repeat_prompt(response: str, k: Kwargs) -> bool:
    return response.strip().lower().startswith(k["prompt_to_repeat"].strip().lower())


@instruction(
    "combination:two_responses",
    lambda k: "Give two different answers, separated by a line of six asterisks: ******.",
)
def _two_responses(response: str, k: Kwargs) -> bool:
    parts = response.split("******")
    valid = []
    for i, part in enumerate(parts):
        if not part.strip():
            if i not in (0, len(parts) - 1):
                return False
        else:
            valid.append(part)
    return len(valid) == 2 and valid[0].strip() != valid[1].strip()


# ---- detectable_content --------------------------------------------------------------


@instruction(
    "detectable_content:number_placeholders",
    lambda k: (
        f"Include at least {k['num_placeholders']} placeholders in square brackets, like [address]."
    ),
    num_placeholders=_N,
)
def _number_placeholders(response: str, k: Kwargs) -> bool:
    return len(re.findall(r"\[.*?\]", response)) >= k["num_placeholders"]


@instruction(
    "detectable_content:postscript",
    lambda k: f"End with a postscript starting with {k['postscript_marker']}",
    postscript_marker=Arg("str", 'the marker, e.g. "P.S."'),
)
def _postscript(response: str, k: Kwargs) -> bool:
    marker = k["postscript_marker"]
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + marker.lower() + r".*$"
    return bool(re.findall(pattern, response.lower(), flags=re.MULTILINE))


# ---- detectable_format ---------------------------------------------------------------


@instruction(
    "detectable_format:constrained_response",
    lambda k: "Answer with one of these exact phrases: " + " / ".join(CONSTRAINED_RESPONSES),
)
def _constrained_response(response: str, k: Kwargs) -> bool:
    stripped = response.strip()
    return any(option in stripped for option in CONSTRAINED_RESPONSES)


@instruction(
    "detectable_format:json_format",
    lambda k: "Wrap the entire answer in JSON; markdown code fences are fine.",
)
def _json_format(response: str, k: Kwargs) -> bool:
    value = response.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        value = value.removeprefix(prefix)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


@instruction(
    "detectable_format:multiple_sections",
    lambda k: (
        f"Split the answer into {k['num_sections']} sections, each starting with "
        f"'{k['section_spliter']} X' where X is its number."
    ),
    section_spliter=Arg("str", 'the section keyword, e.g. "Section"'),
    num_sections=_N,
)
def _multiple_sections(response: str, k: Kwargs) -> bool:
    pattern = r"\s?" + k["section_spliter"] + r"\s?\d+\s?"
    return len(re.split(pattern, response)) - 1 >= k["num_sections"]


@instruction(
    "detectable_format:number_bullet_lists",
    lambda k: (
        f"Use exactly {k['num_bullets']} bullet points, written as markdown bullets like: * point"
    ),
    num_bullets=_N,
)
def _number_bullet_lists(response: str, k: Kwargs) -> bool:
    stars = re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", response, flags=re.MULTILINE)
    return len(stars) + len(dashes) == k["num_bullets"]


@instruction(
    "detectable_format:number_highlighted_sections",
    lambda k: (
        f"Highlight at least {k['num_highlights']} parts with markdown, like *highlighted part*."
    ),
    num_highlights=_N,
)
def _number_highlighted_sections(response: str, k: Kwargs) -> bool:
    count = sum(1 for h in re.findall(r"\*[^\n\*]*\*", response) if h.strip("*").strip())
    count += sum(
        1
        for h in re.findall(r"\*\*[^\n\*]*\*\*", response)
        if h.removeprefix("**").removesuffix("**").strip()
    )
    return count >= k["num_highlights"]


@instruction(
    "detectable_format:title",
    lambda k: "Give the answer a title in double angular brackets, like <<my title>>.",
)
def _title(response: str, k: Kwargs) -> bool:
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", response))


# ---- keywords ------------------------------------------------------------------------


def _quoted(words: list[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


@instruction(
    "keywords:existence",
    lambda k: f"Include the keywords {_quoted(k['keywords'])}.",
    keywords=Arg("words", "words that must appear"),
)
def _existence(response: str, k: Kwargs) -> bool:
    return all(re.search(w, response, flags=re.IGNORECASE) for w in k["keywords"])


@instruction(
    "keywords:forbidden_words",
    lambda k: f"Do not use the words {_quoted(k['forbidden_words'])}.",
    forbidden_words=Arg("words", "words that must not appear"),
)
def _forbidden_words(response: str, k: Kwargs) -> bool:
    return not any(
        re.search(r"\b" + w + r"\b", response, flags=re.IGNORECASE) for w in k["forbidden_words"]
    )


@instruction(
    "keywords:frequency",
    lambda k: f'Use the word "{k["keyword"]}" {k["relation"]} {_times(k["frequency"])}.',
    keyword=Arg("str", "the word"),
    frequency=_N,
    relation=_REL,
)
def _frequency(response: str, k: Kwargs) -> bool:
    count = len(re.findall(k["keyword"], response, flags=re.IGNORECASE))
    return _compare(count, k["relation"], k["frequency"])


@instruction(
    "keywords:letter_frequency",
    lambda k: f"Use the letter '{k['letter']}' {k['let_relation']} {_times(k['let_frequency'])}.",
    letter=Arg("letter", "the letter, or a mark such as !"),
    let_frequency=_N,
    let_relation=_REL,
)
def _letter_frequency(response: str, k: Kwargs) -> bool:
    count = Counter(response.lower())[k["letter"].lower()]
    return _compare(count, k["let_relation"], k["let_frequency"])


# ---- language ------------------------------------------------------------------------


@instruction(
    "language:response_language",
    lambda k: f"Answer only in the language with code '{k['language']}'; no other language.",
    language=Arg("language", "ISO 639-1 code"),
)
def _response_language(response: str, k: Kwargs) -> bool:
    found = languages.detect(response)
    return found is None or found == k["language"]


# ---- length_constraints --------------------------------------------------------------


@instruction(
    "length_constraints:nth_paragraph_first_word",
    lambda k: (
        f"Write exactly {k['num_paragraphs']} paragraphs separated by blank lines; "
        f'paragraph {k["nth_paragraph"]} must start with the word "{k["first_word"]}".'
    ),
    num_paragraphs=_N,
    nth_paragraph=_N,
    first_word=Arg("str", "the first word"),
)
def _nth_paragraph_first_word(response: str, k: Kwargs) -> bool:
    paragraphs = re.split(r"\n\n", response)
    count = len(paragraphs) - sum(1 for p in paragraphs if not p.strip())
    nth = k["nth_paragraph"]
    if not 1 <= nth <= count:
        return False
    paragraph = paragraphs[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = ""
    for letter in word:
        if letter in ".,?!'\"":
            break
        first += letter.lower()
    return count == k["num_paragraphs"] and first == k["first_word"].lower()


@instruction(
    "length_constraints:number_paragraphs",
    lambda k: (
        f"Write exactly {k['num_paragraphs']} paragraphs, separated by a line with "
        "three asterisks: ***"
    ),
    num_paragraphs=_N,
)
def _number_paragraphs(response: str, k: Kwargs) -> bool:
    paragraphs = re.split(r"\s?\*\*\*\s?", response)
    count = len(paragraphs)
    for i, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if i in (0, len(paragraphs) - 1):
                count -= 1
            else:
                return False
    return count == k["num_paragraphs"]


@instruction(
    "length_constraints:number_sentences",
    lambda k: f"Write {k['relation']} {k['num_sentences']} sentences.",
    num_sentences=_N,
    relation=_REL,
)
def _number_sentences(response: str, k: Kwargs) -> bool:
    return _compare(len(text.sentences(response)), k["relation"], k["num_sentences"])


@instruction(
    "length_constraints:number_words",
    lambda k: f"Write {k['relation']} {k['num_words']} words.",
    num_words=Arg("int", "how many words", MAX_WORDS),
    relation=_REL,
)
def _number_words(response: str, k: Kwargs) -> bool:
    return _compare(len(text.words(response)), k["relation"], k["num_words"])


# ---- punctuation and start/end -------------------------------------------------------


@instruction("punctuation:no_comma", lambda k: "Do not use any commas.")
def _no_comma(response: str, k: Kwargs) -> bool:
    return "," not in response


@instruction(
    "startend:end_checker",
    lambda k: f'Finish with the exact phrase "{k["end_phrase"]}" and nothing after it.',
    end_phrase=Arg("str", "the closing phrase"),
)
def _end_checker(response: str, k: Kwargs) -> bool:
    value = response.strip().strip('"').lower()
    return value.endswith(k["end_phrase"].strip().lower())


@instruction(
    "startend:quotation",
    lambda k: "Wrap the entire answer in double quotation marks.",
)
def _quotation(response: str, k: Kwargs) -> bool:
    value = response.strip()
    return len(value) > 1 and value[0] == '"' and value[-1] == '"'


def request(task: str | None, constraints: list[tuple[str, Kwargs]]) -> str:
    """What a user sends: their task, then their constraints in words."""
    lines = [task.strip()] if task else []
    if constraints:
        lines += ["", "Rules for the answer:"]
        lines += [f"- {describe(ident, kwargs)}" for ident, kwargs in constraints]
    return "\n".join(lines)
