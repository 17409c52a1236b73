"""Agent actions: tool calls and the text fallback parse into the same typed actions."""

from __future__ import annotations

import json

import pytest

from museslang import family as families
from museslang.actions import ActionError, offered
from museslang.runtime.action_text import parse_text, parse_tool_call, text_protocol, tool_schemas

MEETING = offered(families.get("meeting"))
QUEUE = offered(families.get("shared_queue"))


def test_tool_call_and_text_give_the_same_action() -> None:
    call = parse_tool_call(
        "finalize_meeting", json.dumps({"slot": "Tue 9:30", "attendees": ["Ana", "Ben"]}), MEETING
    )
    text = parse_text("FINALIZE Tue 9:30 WITH Ana, Ben", MEETING).actions
    assert [call] == text
    assert call.dump() == {"slot": "Tue 9:30", "attendees": ["Ana", "Ben"]}


def test_tool_arguments_are_coerced_tolerantly() -> None:
    a = parse_tool_call("send_message", '{"to": "Ana, Ben", "text": "hi"}', MEETING)
    assert a.dump() == {"to": ["Ana", "Ben"], "text": "hi"}
    d = parse_tool_call("decide_orders", '{"accept": ["o1"], "reject": ["o2", 7]}', QUEUE)
    assert d.dump() == {
        "accept": ["o1"],
        "reject": [{"id": "o2", "reason": ""}, {"id": "7", "reason": ""}],
    }


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("share_resource", "{}", "unknown action 'share_resource'"),
        ("send_message", "{not json", "arguments are not JSON"),
        ("send_message", "[1]", "must be a JSON object"),
        ("finalize_meeting", '{"attendees": []}', "finalize_meeting: slot: Field required"),
    ],
)
def test_bad_tool_calls_are_errors_not_crashes(name: str, arguments: str, message: str) -> None:
    with pytest.raises(ActionError, match=message):
        parse_tool_call(name, arguments, MEETING)


def test_text_messages_with_continuation_lines() -> None:
    text = "Sure.\n@Ana: When are you free?\nAny backups too?\nTo Ben, Cleo: Tue 9:30 works?"
    actions = parse_text(text, MEETING).actions
    assert [a.dump() for a in actions] == [
        {"to": ["Ana"], "text": "When are you free?\nAny backups too?"},
        {"to": ["Ben", "Cleo"], "text": "Tue 9:30 works?"},
    ]


def test_unaddressed_text_goes_to_everyone() -> None:
    actions = parse_text("Hello everyone, when can you meet?", MEETING).actions
    assert [a.dump() for a in actions] == [
        {"to": ["all"], "text": "Hello everyone, when can you meet?"}
    ]


def test_json_actions_in_text_and_code_fences() -> None:
    text = 'Decision:\n```json\n{"action": "decide_orders", "accept": ["a"], "reject": []}\n```'
    actions = parse_text(text, QUEUE).actions
    assert [a.name for a in actions] == ["decide_orders"]
    assert actions[0].dump()["accept"] == ["a"]
    nested = parse_text(
        '[{"name": "finalize_meeting", "arguments": {"slot": "Mon 9:00", "attendees": "all"}}]',
        MEETING,
    )
    assert nested.actions[0].dump() == {"slot": "Mon 9:00", "attendees": ["all"]}


def test_bad_json_action_is_reported() -> None:
    parsed = parse_text('{"action": "finalize_meeting", "slot": 5}', MEETING)
    assert parsed.errors and "attendees" in parsed.errors[0]


def test_tool_schemas_are_plain_json_schema() -> None:
    tools = tool_schemas(offered(families.get("meeting"), ["send_message", "finalize_meeting"])
                         | QUEUE)  # fmt: skip
    assert [t["function"]["name"] for t in tools] == [
        "send_message",
        "finalize_meeting",
        "decide_orders",
    ]
    text = json.dumps(tools)
    assert "$ref" not in text and '"title"' not in text
    params = tools[1]["function"]["parameters"]
    assert params["required"] == ["slot", "attendees"]


def test_text_protocol_names_every_action() -> None:
    doc = text_protocol(MEETING)
    assert "@Name: message" in doc and "FINALIZE Tue 9:30 WITH" in doc


def test_the_official_queue_output_object_is_read_as_a_decision() -> None:
    reply = (
        'Here is my decision:\n```json\n{"accepted_instructions": ["8127", "6639"], '
        '"rejected_instructions": [{"id": "5732", "reason": "harmful_to_global_objective"}]}\n```'
    )
    parsed = parse_text(reply, offered(families.get("shared_queue"), ["decide_orders"]))
    assert [a.name for a in parsed.actions] == ["decide_orders"]
    args = parsed.actions[0].args
    assert args.accept == ["8127", "6639"]
    assert [(r.id, r.reason) for r in args.reject] == [("5732", "harmful_to_global_objective")]


def test_the_official_reply_objects_of_the_conversational_families() -> None:
    """Imported records keep the official prompts, which ask for these JSON objects."""
    message = '{"target": "Ana", "content": "Which times suit you?", "decision": "query"}'
    parsed = parse_text(message, MEETING)
    assert [(a.name, a.args.to, a.args.text) for a in parsed.actions] == [
        ("send_message", ["Ana"], "Which times suit you?")
    ]
    final = (
        '{"goal_achieved": true, "final_schedule": "[Tue 9:30]", "attendees": ["Ana", "Ben"], '
        '"final_report": "Meeting finalized."}'
    )
    (action,) = parse_text(final, MEETING).actions
    assert action.name == "finalize_meeting"
    assert (action.args.slot, action.args.attendees) == ("Tue 9:30", ["Ana", "Ben"])
    access = offered(families.get("access_control"))
    (action,) = parse_text('{"goal_achieved": true, "final_report": "Done."}', access).actions
    # issue 15.15: the final report ends the conversation and reaches no one
    assert (action.name, action.args.report) == ("finish", "Done.")
    # ... and the whole turn it ends is not delivered, as the official runner does
    mixed = '{"target": "Ana", "content": "K-7731"}\n{"goal_achieved": true}'
    assert [a.name for a in parse_text(mixed, access).actions] == ["finish"]
    # issue 15.12: goal_achieved false with a schedule finalises nothing
    assert not parse_text('{"goal_achieved": false, "final_schedule": "Tue 9:30"}', MEETING).actions
    # a meeting declared done without a slot ends, unscheduled
    (action,) = parse_text('{"goal_achieved": true}', MEETING).actions
    assert action.name == "finish"


def test_private_messages_and_unreadable_directives() -> None:
    """Issue 15.16: `@Name(private):` is a message to Name alone, not prose to everyone; an
    address line that cannot be read is recorded, never sent or dropped."""
    access = offered(families.get("access_control"))
    parsed = parse_text("@Ana(private): the code is K-7731\n@{Ben}: hm", access)
    assert [(a.name, a.args.to, a.args.text) for a in parsed.actions] == [
        ("send_message", ["Ana"], "the code is K-7731")
    ]
    assert parsed.errors == ["unreadable address line: '@{Ben}: hm'"]
