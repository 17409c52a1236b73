"""How the official MUSES Bench runners read a model's reply, rule for rule.

Each family's runner reads JSON its own way, and `--metrics compat` must read it the
same way or the numbers drift (a reply with prose before its JSON, refs written as
numbers, a `goal_achieved` object after messages). These are museslang's own
implementations of those rules; the tests pin each rule with a hand-worked reply.

`OfficialError` stands for an exception the official runner would raise on a reply
(it then records the episode as an error); the caller turns it into the runner's
error record.
"""

from __future__ import annotations

import json
import re
from typing import Any


class OfficialError(Exception):
    """The official runner would have raised here; the message says what it tripped on."""


def queue_json(raw: str | None) -> Any:
    """The shared-queue runner: the text between ```json and the next ```, else between the
    first two ```, else the whole reply; then json.loads. Not JSON: empty lists."""
    if raw is None:
        raise OfficialError("no reply text")
    if "```json" in raw:
        start = raw.find("```json") + 7
        end = raw.find("```", start)
        text = raw[start:end].strip() if end != -1 else raw[start:-1].strip()
    elif "```" in raw:
        start = raw.find("```") + 3
        end = raw.find("```", start)
        text = raw[start:end].strip() if end != -1 else raw[start:-1].strip()
    else:
        text = raw.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"accepted_instructions": [], "rejected_instructions": []}
    except ValueError as exc:  # a number past Python's digit limit: not a JSONDecodeError
        raise OfficialError(str(exc)) from None


def instruction_json(raw: str | None) -> Any:
    """The instruction-following runner: strip, drop a leading ```json then a leading ```
    and a trailing ```, strip again, json.loads. Not JSON: an empty object."""
    if raw is None:
        raise OfficialError("no reply text")
    text = raw.strip()
    if text.startswith("```json"):
        text = text[7:]
    if text.startswith("```"):
        text = text[3:]
    if text.endswith("```"):
        text = text[:-3]
    try:
        return json.loads(text.strip())
    except json.JSONDecodeError:
        return {}
    except ValueError as exc:
        raise OfficialError(str(exc)) from None


_DIGITS = re.compile(r"-?\d+")
_OPENERS = re.compile(r"[\[{]+")


def scanned_json(raw: str | None, *, strict: bool) -> list[Any]:
    """The conversational runners: strip, drop a leading
    ```json and a trailing ```, then try to decode a JSON value at every position,
    jumping past each one decoded. `strict` (the stricter runner) lets anything but a
    JSONDecodeError escape, as its `except json.JSONDecodeError` does; the other
    runner swallows every error.

    Two inputs make the official loop quadratic (a number of thousands of digits, nesting
    thousands deep); here such a run is skipped whole instead of position by position."""
    if raw is None:
        raise OfficialError("no reply text")
    text = raw.strip()
    if text.startswith("```json"):
        text = text[7:]
    if text.endswith("```"):
        text = text[:-3]
    text = text.strip()
    decoder = json.JSONDecoder()
    found: list[Any] = []
    pos = 0
    while pos < len(text):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos += 1
            continue
        except RecursionError:
            if strict:
                raise OfficialError("JSON nested too deeply") from None
            run = _OPENERS.match(text, pos)
            pos = run.end() if run else pos + 1
            continue
        except ValueError as exc:  # an integer past Python's digit limit
            if strict:
                raise OfficialError(str(exc)) from None
            run = _DIGITS.match(text, pos)
            pos = run.end() if run else pos + 1
            continue
        found.append(value)
        pos = end
    return found


def hashable(value: Any) -> Any:
    """`value` if Python can put it in a set or use it as a key; OfficialError otherwise
    (the runners do both with values straight from the model's JSON)."""
    try:
        hash(value)
    except TypeError:
        raise OfficialError(f"unhashable {type(value).__name__}") from None
    return value


def contains(container: Any, item: Any) -> bool:
    """Python's `item in container` with the runner's types: substring for a string, key
    for a dict, element for a list; OfficialError where `in` raises."""
    try:
        return item in container
    except TypeError:
        raise OfficialError(f"'in' on {type(container).__name__}") from None


def ends_conversation(text: str) -> bool:
    """The official runner's end-of-conversation test: `"goal_achieved": true` anywhere in
    the reply (spaces and escaped newlines ignored)."""
    squashed = text.replace("\\n", "").replace(" ", "")
    return '"goal_achieved":true' in squashed or "'goal_achieved':true" in squashed
