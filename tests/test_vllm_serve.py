"""`vllm-serve:MODEL`: museslang starts the server, shares it between roles, logs it into the
run folder and leaves no process behind after a run, an error or a Ctrl-C.

The server here is `tests/fake_vllm_server.py`, started exactly as vLLM's would be (the
same launcher, flags and process group), with a child that ignores SIGTERM as an engine
process might. The real server is in `test_real_model.py` (marked `real_model`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.runtime import vllm_server
from museslang.runtime.options import BackendOptions
from museslang.runtime.vllm_server import ManagedServer, chatml_tools_template, tool_parser
from tests.conftest import ROOT

runner = CliRunner()
# the museslang command, with the fake in place of vLLM's server and a short grace period
DRIVER = (
    "import sys\n"
    "import museslang.runtime.vllm_server as v\n"
    "v.SERVER_MODULE = 'tests.fake_vllm_server'\n"
    "v.STOP_S = 2.0\n"
    "from museslang.cli import main\n"
    "sys.argv = ['museslang', *sys.argv[1:]]\n"
    "main()\n"
)


def museslang(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # a shell's background job may inherit SIGINT ignored: Ctrl-C must reach it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def eval_on(model: str, spec: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    args = ["--agent", f"vllm-serve:{model}", "--out", str(out), "--no-progress", *extra]
    return museslang("eval", f"specs/{spec}.muses", *args)


def started(log: Path) -> list[int]:
    """The pids of every fake server in the log and of its child."""
    pids: list[int] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("fake server pid"):
            words = line.split()
            pids += [int(words[3]), int(words[5])]
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie is dead; only its parent has not read it


def gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_one_server_for_the_agent_and_the_users_and_nothing_left(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = eval_on("fake", "meeting", out, "--users", "vllm-serve:fake", "--limit", "1")
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 0, output
    log = out / "vllm-serve-fake.log"
    pids = started(log)
    assert len(pids) == 2, "one server, shared by the agent and the users"
    assert gone(pids), "the server and its child outlived the run"
    assert "vllm serve fake ready on http://127.0.0.1:" in output and str(log) in output
    argv = json.loads(
        next(x for x in log.read_text().splitlines() if "argv" in x).split("argv ", 1)[1]
    )
    assert "--enable-prefix-caching" in argv and "--enable-auto-tool-choice" in argv
    assert "museslang: starting -m vllm.entrypoints.openai.api_server" not in log.read_text()
    assert "museslang: starting -m tests.fake_vllm_server --model fake" in log.read_text()
    asked = log.read_text()
    assert "request model=fake tools=True" in asked and "request model=fake tools=False" in asked
    # the server claimed a tool call; its arguments were a bare string: unreadable, and why
    result = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    unread = [a for a in result["actions"] if a["name"] == "(unreadable)"]
    assert unread and "arguments must be a JSON object" in unread[0]["note"]


def test_a_resumed_run_appends_its_server_log_to_the_run_folder(tmp_path: Path) -> None:
    """`--resume` starts a new server for the episodes left: its log goes on in the same
    file of the run folder, the first run's lines kept and each start's command above
    its own output."""
    out = tmp_path / "run"
    first = eval_on("fake", "shared_queue", out, "--limit", "1")
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    log = out / "vllm-serve-fake.log"
    before = log.read_text(encoding="utf-8")
    again = eval_on("fake", "shared_queue", out, "--limit", "2", "--resume")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert "1 run now, 1 resumed" in output and str(log) in output
    text = log.read_text(encoding="utf-8")
    assert text.startswith(before) and sorted(out.glob("vllm-serve-*.log")) == [log]
    starts = [i for i, x in enumerate(text.splitlines()) if x.startswith("museslang: starting")]
    servers = [i for i, x in enumerate(text.splitlines()) if x.startswith("fake server pid")]
    assert len(starts) == len(servers) == 2 and starts[0] < servers[0] < starts[1] < servers[1]
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
    assert gone(started(log)), "a server outlived a run"
    # nothing left to play: no server is started (a real one may compile for minutes)
    done = eval_on("fake", "shared_queue", out, "--limit", "2", "--resume")
    output, _ = done.communicate(timeout=120)
    assert done.returncode == 0 and "0 run now, 2 resumed" in output, output
    assert log.read_text(encoding="utf-8") == text


def test_a_server_that_fails_to_start_is_one_message_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = eval_on("crash", "shared_queue", out, "--limit", "1")
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 2, output
    assert "vllm serve crash exited with code 3" in output and "on purpose" in output
    assert "Traceback" not in output
    assert gone(started(out / "vllm-serve-crash.log"))


def test_ctrl_c_stops_the_server_and_its_children(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = eval_on("slow", "shared_queue", out, "--limit", "2")
    log = out / "vllm-serve-slow.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and "request" in log.read_text()):
        time.sleep(0.2)
    assert "request model=slow" in log.read_text(), "the run never reached the server"
    pids = started(log)
    assert all(alive(p) for p in pids)
    run.send_signal(signal.SIGINT)  # Ctrl-C, to the museslang process alone
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 130, output
    assert "interrupted" in output
    assert gone(pids), "a process outlived the Ctrl-C"


def test_the_server_serves_the_adapters_and_the_tools_the_template_drops(tmp_path: Path) -> None:
    adapter = tmp_path / "my adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 8}), encoding="utf-8")
    model = tmp_path / "model"
    model.mkdir()
    own = (
        "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + "
        "'<|im_end|>' + '\n'}}{% endfor %}"
    )
    (model / "chat_template.jinja").write_text(own, encoding="utf-8")
    server = ManagedServer(str(model), BackendOptions(max_model_len=2048, kv_cache_space=1))
    name = server.adapter(str(adapter))
    assert name == "lora-my-adapter" and server.adapter(str(adapter)) == name
    cmd = server.command(tmp_path)
    assert cmd[cmd.index("--tool-call-parser") + 1] == "hermes"
    assert cmd[cmd.index("--lora-modules") + 1] == f"lora-my-adapter={adapter}"
    assert cmd[cmd.index("--max-lora-rank") + 1] == "16"
    assert cmd[cmd.index("--max-model-len") + 1] == "2048"
    assert cmd[cmd.index("--kv-cache-memory-bytes") + 1] == str(2**30)
    assert cmd[cmd.index("--chat-template") + 1] == str(tmp_path / vllm_server.TEMPLATE_FILE)
    assert cmd[cmd.index("-m") + 1] == "vllm.entrypoints.openai.api_server"
    # a template that knows tools keeps its own, with its parser
    assert tool_parser("{% if tools %}<tool_call>{% endif %}<|im_start|>") == ("hermes", False)
    assert tool_parser("[TOOL_CALLS]") == ("mistral", False)
    assert tool_parser("<|python_tag|>") == ("llama3_json", False)
    assert tool_parser(own) == ("hermes", True)


def test_the_served_template_writes_tools_as_the_in_process_engines_do() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from museslang.runtime.agents.chat_render import inline_tools

    own = (
        "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + "
        "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|im_start|>assistant\n' }}{% endif %}"
    )
    env = ImmutableSandboxedEnvironment()  # as transformers renders: tojson is json.dumps
    env.filters["tojson"] = lambda x, **_: json.dumps(x, ensure_ascii=False)
    served, plain = env.from_string(chatml_tools_template(own)), env.from_string(own)
    tools = [{"type": "function", "function": {"name": "send_message", "parameters": {}}}]
    args = {"to": ["Ana"], "text": "hé"}
    call = {"id": "c1", "type": "function", "function": {"name": "send_message", "arguments": args}}
    messages = [
        {"role": "system", "content": "You help.\n"},
        {"role": "user", "content": "<Ana>hi</Ana>"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "delivered to Ana"},
        {"role": "user", "content": "<Ana>thanks</Ana>"},
    ]
    got = served.render(messages=messages, tools=tools, add_generation_prompt=True)
    want = plain.render(messages=inline_tools(messages, tools), add_generation_prompt=True)
    assert got == want and '<tool_call>{"name": "send_message"' in got
    no_tools = messages[:2]
    assert served.render(messages=no_tools, tools=None, add_generation_prompt=True) == (
        plain.render(messages=no_tools, add_generation_prompt=True)
    )


def test_vllm_serve_is_refused_with_ray_and_lora_is_accepted_for_it(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["eval", "specs/meeting.muses", "--agent", "vllm-serve:m", "--ray", "--no-progress"]
    )
    assert done.exit_code == 2 and "not with --ray" in done.output
    done = runner.invoke(
        app,
        [
            "eval",
            "specs/meeting.muses",
            "--agent",
            "vllm-serve:m",
            "--lora",
            str(tmp_path / "none"),
        ],
    )
    assert done.exit_code == 2 and "is not a folder" in done.output
    assert os.environ.get(vllm_server.LOCAL_KEY) is None
