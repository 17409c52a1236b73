"""`museslang export inspect RUN -o DIR`: a run as one Inspect AI eval log, so that
`inspect view` and the tools that read Inspect logs open museslang runs.

The log is Inspect's JSON format (format version 2), written from its published schema
without importing Inspect: samples are the episodes (a trial is an epoch), each with the
conversation in order (the agent's system prompt; each user's messages, named; each agent
turn as what it delivered to whom and its tool calls, with what each did), scores are the
metrics, and metadata holds the cell, seed, trial, the ground truth and why the episode
failed (museslang.report.explain). Inspect has no notion of several users on private
channels: who sent a message and who received it are in each message's metadata and at
the head of its text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from museslang.ir.models import EpisodeGraph
from museslang.ir.results import AGENT, EpisodeResult, Message
from museslang.report.episodes import call_text, recipients
from museslang.report.explain import explain, success_names

FORMAT_VERSION = 2  # Inspect's log format version this writes


@dataclass
class Written:
    path: Path
    samples: int
    scores: int


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _short_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:22]


def _user(m: Message, mid: str) -> dict[str, Any]:
    meta = {"turn": m.turn, "sender": m.sender, "to": m.to, "kind": m.kind}
    return {
        "id": mid,
        "role": "user",
        "content": f"{m.sender}: {m.text}",
        "source": "input",
        "metadata": meta,
    }


def messages(result: EpisodeResult, episode: EpisodeGraph | None) -> list[dict[str, Any]]:
    """The episode as one chat in order, turn by turn."""
    base = f"{result.id}#{result.trial}"
    people = [p.id for p in episode.participants] if episode is not None else []
    out: list[dict[str, Any]] = []
    if episode is not None:
        out.append({"id": f"{base}/system", "role": "system", "content": episode.agent_prompt})
    replies = {r.turn: r for r in result.replies}
    turns = sorted({m.turn for m in result.transcript} | {a.turn for a in result.actions})
    for turn in turns:
        sent = [m for m in result.transcript if m.turn == turn and m.sender == AGENT]
        calls = [a for a in result.actions if a.turn == turn]
        if sent or calls:
            said = [
                f"→ {recipients(m.to, people or m.to)} ({', '.join(m.to)}): {m.text}" for m in sent
            ]
            reply = replies.get(turn)
            if reply is not None and reply.text:
                said.insert(0, reply.text)
            tool_calls = [
                {
                    "id": f"{base}/t{turn}c{i}",
                    "function": a.name,
                    "arguments": a.args,
                    "type": "function",
                }
                for i, a in enumerate(calls)
            ]
            meta = {
                "turn": turn,
                "sender": AGENT,
                "delivered": [{"to": m.to, "kind": m.kind, "text": m.text} for m in sent],
            }
            out.append(
                {
                    "id": f"{base}/t{turn}",
                    "role": "assistant",
                    "content": "\n\n".join(said),
                    "source": "generate",
                    "tool_calls": tool_calls or None,
                    "model": result.agent,
                    "metadata": meta,
                }
            )
            for i, a in enumerate(calls):
                tool = {
                    "id": f"{base}/t{turn}r{i}",
                    "role": "tool",
                    "content": a.note or "",
                    "tool_call_id": f"{base}/t{turn}c{i}",
                    "function": a.name,
                }
                if not a.ok:
                    tool["error"] = {"type": "unknown", "message": a.note or "rejected"}
                out.append(tool)
        for i, m in enumerate(result.transcript):
            if m.turn == turn and m.sender != AGENT:
                out.append(_user(m, f"{base}/m{i}"))
    return out


def _usage(results: Iterable[EpisodeResult]) -> dict[str, int]:
    prompt = completion = 0
    for r in results:
        prompt += r.agent_usage.prompt_tokens
        completion += r.agent_usage.completion_tokens
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
    }


def sample(result: EpisodeResult, episode: EpisodeGraph | None) -> dict[str, Any]:
    account = explain(episode, result)
    chat = messages(result, episode)
    opening = [m for m in chat if m["role"] == "user" and m["metadata"]["turn"] == 0]
    last = next((m for m in reversed(chat) if m["role"] == "assistant"), None)
    # what the agent ended with: its last words, else its last tool call (the answer column)
    answer = (last or {}).get("content") or (
        call_text(result.actions[-1]) if result.actions else ""
    )
    scores: dict[str, Any] = {}
    curves: dict[str, list[float]] = {}
    for name, value in result.metrics.items():
        if isinstance(value, list):
            curves[name] = value
        elif isinstance(value, int | float):
            scores[name] = {"value": float(value)}
    # a failed metric says why; the success metrics carry the episode's one line
    why: dict[str, list[str]] = {}
    for f in account.failures:
        why.setdefault(f.name, []).append(f.detail)
    if account.reason:
        for name in success_names(result.family):
            why[name] = [account.reason]
    for name, details in why.items():
        if name in scores:
            scores[name]["explanation"] = "; ".join(details[:5])
    truth = [f"{what}: {value}" for what, value in account.truth]
    metadata = {
        "scenario": result.scenario,
        "family": result.family,
        "cell": result.cell,
        "sample": result.sample,
        "seed": result.seed,
        "trial": result.trial,
        "variant": result.variant,
        "base": result.base,
        "team": result.team,
        "status": result.status,
        "verdict": account.verdict,
        "reason": account.reason,
        "ending": result.ending,
        "turns": result.turns,
        "users": result.users,
        "ground_truth": dict(account.truth),
        "people": account.people,
        "failures": [
            {"name": f.name, "detail": f.detail, "message": f.message} for f in account.failures
        ],
        "leaks": [leak.model_dump(mode="json") for leak in result.leaks],
        "findings": [f.model_dump(mode="json") for f in result.findings],
        "interventions": [i.model_dump(mode="json") for i in result.interventions],
        "curves": curves,
        "decision": result.decision,
    }
    out: dict[str, Any] = {
        "id": result.id,
        "epoch": result.trial + 1,
        "input": opening or "(the agent speaks first)",
        "target": truth or "",
        "messages": chat,
        "output": {
            "model": result.agent,
            "completion": answer,
            "choices": [{"message": last, "stop_reason": "stop"}] if last else [],
        },
        "scores": scores,
        "metadata": metadata,
        "model_usage": {result.agent: _usage([result])} if result.agent_usage.requests else {},
        "total_time": result.latency_s,
        "working_time": result.latency_s,
        "uuid": _short_id(result.id, str(result.trial), str(result.seed)),
    }
    if result.status == "errored":
        out["error"] = {"message": result.error or "errored", "traceback": "", "traceback_ansi": ""}
    return out


def _stats(results: list[EpisodeResult], name: str) -> dict[str, Any] | None:
    """Mean and standard error over episodes (each episode's trials averaged first)."""
    from museslang.report.build import metric_of, stat_for

    got = stat_for(results, metric_of(name))
    if not isinstance(got.mean, float):
        return None
    metrics = {"mean": {"name": "mean", "value": got.mean, "params": {}}}
    if got.stderr is not None:
        metrics["stderr"] = {"name": "stderr", "value": got.stderr, "params": {}}
    return {"name": name, "scorer": name, "scored_samples": got.n, "params": {}, "metrics": metrics}


def eval_log(
    run: Path, meta: dict, results: list[EpisodeResult], episodes: dict[str, EpisodeGraph]
) -> dict[str, Any]:
    from museslang import __version__

    spec = str(meta.get("spec") or run.name)
    task = Path(spec).stem
    started = _when((run / "run.json").stat().st_mtime)
    done = run / "results.jsonl"
    completed = _when(done.stat().st_mtime) if done.exists() else started
    run_id = _short_id(str(run.resolve()), str(meta.get("spec_sha256")), started)
    samples = [sample(r, episodes.get(r.id)) for r in results]
    names = list(dict.fromkeys(n for s in samples for n in s["scores"]))
    scores = [s for n in names if (s := _stats(results, n)) is not None]
    trials = max((r.trial for r in results), default=0) + 1
    generate = {k: meta[k] for k in ("temperature", "max_tokens") if meta.get(k) is not None}
    return {
        "version": FORMAT_VERSION,
        "status": "success" if any(r.status == "ok" for r in results) else "error",
        "eval": {
            "eval_id": _short_id(run_id, "eval"),
            "run_id": run_id,
            "created": started,
            "task": task,
            "task_id": _short_id(str(meta.get("spec_sha256")), task),
            "task_version": 0,
            "task_file": spec,
            "task_attribs": {},
            "task_args": {},
            "solver": "museslang eval",
            "dataset": {
                "name": task,
                "location": spec,
                "samples": len({r.id for r in results}),
                "sample_ids": list(dict.fromkeys(r.id for r in results)),
                "shuffled": False,
            },
            "model": str(meta.get("agent")),
            "model_base_url": meta.get("base_url"),
            "model_generate_config": generate,
            "config": {"epochs": trials},
            "packages": {"museslang": __version__},
            "metadata": {"museslang_run": meta},
        },
        "plan": {
            "name": "museslang",
            "steps": [
                {
                    "solver": "museslang eval",
                    "params": {
                        "users": meta.get("users"),
                        "tool_mode": meta.get("tool_mode"),
                        "metrics": meta.get("metrics", "default"),
                    },
                }
            ],
            "config": generate,
        },
        "results": {
            "total_samples": len(results),
            "completed_samples": sum(r.status == "ok" for r in results),
            "scores": scores,
        },
        "stats": {
            "started_at": started,
            "completed_at": completed,
            "model_usage": {str(meta.get("agent")): _usage(results)},
        },
        "samples": samples,
    }


def file_name(log: dict[str, Any]) -> str:
    """Inspect's own naming (a timestamp first), which `inspect view` lists."""
    created = log["eval"]["created"].replace(":", "-")
    task = "".join(c if c.isalnum() or c == "-" else "-" for c in log["eval"]["task"])
    return f"{created}_{task}_{log['eval']['eval_id']}.json"


def write(
    run: Path,
    meta: dict,
    results: list[EpisodeResult],
    episodes: dict[str, EpisodeGraph],
    out: Path,
) -> Written:
    from museslang.files import write_atomic

    log = eval_log(run, meta, results, episodes)
    out.mkdir(parents=True, exist_ok=True)
    path = out / file_name(log)
    write_atomic(path, json.dumps(log, ensure_ascii=False, indent=1) + "\n")
    return Written(path, len(log["samples"]), len(log["results"]["scores"]))
