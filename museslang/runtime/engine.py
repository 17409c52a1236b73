"""The episode engine: runs one compiled `EpisodeGraph` to its end.

It follows the graph's protocol: users open (proactive ones speak, passive
ones wait), then the agent and the users it addressed take turns until the
agent takes the scenario's ending action or runs out of turns. Each user only
sees what was addressed to them. Agents and simulated users are plug-ins
(`agents.AGENTS`, `users.USERS`); the engine owns the protocol, the
transcript and the agent's append-only conversation.
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

from museslang import family as families
from museslang.actions import (
    EVERYONE,
    Action,
    Answer,
    Finish,
    Kinds,
    SendMessage,
    kinds_of,
    offered,
)
from museslang.diagnostics import InputError
from museslang.ir.models import EpisodeGraph, Participant
from museslang.ir.results import (
    AGENT,
    BROADCAST,
    ActionRecord,
    Finding,
    Intervention,
    Message,
    Reply,
    Usage,
)
from museslang.prompts import PromptError
from museslang.runtime.action_text import per_user_format, text_protocol, tool_schemas
from museslang.runtime.chat import ChatError
from museslang.runtime.conversation import KICKOFF, NO_REPLY, AgentConversation, render_incoming
from museslang.runtime.guard import MAX_RETRIES, Guard, GuardContext, of_episode, stack
from museslang.runtime.options import BackendError
from museslang.runtime.user_audit import UserAudit
from museslang.safetext import redact


@dataclass
class EpisodeView:
    """What an agent sees when asked for its next turn."""

    episode: EpisodeGraph
    turn: int
    transcript: list[Message]
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    # the kinds the agent is offered (museslang.actions.offered: its family's `actions`),
    # what its reply is read against
    kinds: Kinds
    trial: int = 0

    @property
    def allowed(self) -> tuple[str, ...]:
        """The names of the actions offered, in order."""
        return tuple(self.kinds)

    def heard_from(self) -> list[Message]:
        """User messages of the latest round (openings on turn 1, replies after)."""
        last = self.turn - 1
        return [m for m in self.transcript if m.sender != AGENT and m.turn == last]


@dataclass
class AgentTurn:
    actions: list[Action]
    message: dict[str, Any] | None = None  # the assistant message as the model wrote it
    call_ids: list[str] = field(default_factory=list)  # tool call id per action
    errors: list[str] = field(default_factory=list)  # unreadable tool calls or directives
    failed: dict[str, str] = field(default_factory=dict)  # tool call id -> error, unreadable
    usage: Usage = field(default_factory=Usage)
    notes: list[str] = field(default_factory=list)  # what was cut or ignored from the reply


class Agent(ABC):
    """An agent backend. One instance serves every episode of a run."""

    spec: str = ""
    uses_tools = True

    @abstractmethod
    async def act(self, view: EpisodeView) -> AgentTurn: ...

    def supports(self, family: str) -> bool:
        return True

    async def preflight(self) -> None:
        """Raise `ChatError` when the backend cannot work at all (e.g. unreachable)."""
        return None

    async def aclose(self) -> None:
        return None


class WrappingAgent(Agent):
    """An agent that plays through another one (a teacher's guidance added to its prompt,
    its actions rewritten as text): what a wrapper does not change, the inner agent
    answers, so its families, its preflight and its shutdown stay the inner agent's."""

    def __init__(self, inner: Agent) -> None:
        self.inner = inner
        self.spec = inner.spec

    def supports(self, family: str) -> bool:
        return self.inner.supports(family)

    async def preflight(self) -> None:
        await self.inner.preflight()

    async def aclose(self) -> None:
        await self.inner.aclose()


class UserSimulator(ABC):
    """Plays every user of one episode."""

    async def again(self, user: Participant, turn: int) -> str | None:
        """The user's latest message asked for again (the simulated-user audit flagged
        it), or None when it cannot be asked again (a scripted user says the same)."""
        return None

    # whether its users' answers wait on something (a model): then they are asked at once;
    # in-process users are asked one after another, which gives the same answers without
    # a task per user (a queue episode opens with eleven)
    concurrent: bool = True

    def __init__(self) -> None:
        self.usage = Usage()

    async def each(self, calls: Iterable[Awaitable[str | None]]) -> list[str | None]:
        """The answers to several users' calls, in order."""
        if self.concurrent:
            return list(await asyncio.gather(*calls))
        return [await call for call in calls]

    @abstractmethod
    async def opening(self, user: Participant) -> str | None: ...

    @abstractmethod
    async def reply(self, user: Participant, turn: int, incoming: list[Message]) -> str | None: ...


class UserBackend(ABC):
    spec: str = ""
    verify: int = 0  # a message the simulated-user audit flags is asked again this often

    @abstractmethod
    def for_episode(self, episode: EpisodeGraph, trial: int = 0) -> UserSimulator: ...

    async def preflight(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


@dataclass
class EpisodeRun:
    """The outcome of running one episode (scored afterwards)."""

    transcript: list[Message]
    actions: list[ActionRecord]
    ending: str | None
    turns: int
    agent_usage: Usage
    user_usage: Usage
    prefix_reuse: list[float]
    prefix_kept: list[float]
    latency_s: float
    error: str | None = None  # why the episode stopped early; the transcript so far is kept
    findings: list[Finding] = field(default_factory=list)  # the simulated-user audit
    replies: list[Reply] = field(default_factory=list)  # model agents: each reply as written
    conversation: list[dict[str, Any]] = field(default_factory=list)  # the agent's chat
    tools: list[dict[str, Any]] | None = None  # the tool schemas the agent was offered
    interventions: list[Intervention] = field(default_factory=list)  # what guards did


# what the agent is told about a protocol that is not the usual private channels
TURN_NOTES = {
    "broadcast": "Everything you send is seen by every user (one shared channel), and every "
    "user replies after each of your turns.",
    "round_robin": "Users take turns: after each of your turns, the next user in the order "
    "they are listed speaks, whether you wrote to them or not.",
}


def describe_error(exc: BaseException) -> str:
    """One line for the results file. Expected failures carry their own message."""
    if isinstance(exc, ChatError | PromptError | BackendError):
        return redact(str(exc))
    if isinstance(exc, InputError):
        return redact(str(exc))
    return redact(f"internal error: {type(exc).__name__}: {exc}")


def _names(episode: EpisodeGraph) -> dict[str, str]:
    return {p.id.lower(): p.id for p in episode.participants}


def resolve_users(episode: EpisodeGraph, names: list[str]) -> tuple[list[str], list[str]]:
    """Recipient names as written -> (known user ids in participant order, unknown names)."""
    known = _names(episode)
    chosen: set[str] = set()
    unknown: list[str] = []
    for raw in names:
        name = raw.strip().lstrip("@").strip()
        if name.lower() in {EVERYONE, *BROADCAST}:
            chosen.update(known.values())
        elif name.lower() in known:
            chosen.add(known[name.lower()])
        elif name:
            unknown.append(name)
    return [p.id for p in episode.participants if p.id in chosen], unknown


def _tool_calls(actions: list[Action], turn: int) -> tuple[dict[str, Any], list[str]]:
    """Render actions of an agent that does not write chat (reference policies) as tool calls."""
    ids = [f"call_{turn}_{i}" for i in range(len(actions))]
    calls = [
        {
            "id": cid,
            "type": "function",
            "function": {"name": a.name, "arguments": json.dumps(a.dump(), ensure_ascii=False)},
        }
        for cid, a in zip(ids, actions, strict=True)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if calls:
        message["tool_calls"] = calls
    else:
        message["content"] = ""
    return message, ids


def _as_reply(turn: int, message: dict[str, Any], reply: AgentTurn) -> Reply:
    calls = [
        {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in message.get("tool_calls") or []
    ]
    content = message.get("content")
    return Reply(
        turn=turn,
        text=content if isinstance(content, str) else None,
        tool_calls=calls,
        actions=len(reply.actions),
        unaddressed=sum(1 for a in reply.actions if a.unaddressed),
        unreadable=list(reply.errors),
        notes=list(reply.notes),
    )


class Engine:
    """Runs episodes with one agent backend and one user backend."""

    def __init__(self, agent: Agent, users: UserBackend) -> None:
        self.agent = agent
        self.users = users

    async def run(self, episode: EpisodeGraph, trial: int = 0) -> EpisodeRun:
        """Run to the end; a failure mid-way is returned as `error` with the transcript so far.

        `episode` is the trial's copy (`trials.for_trial`); `trial` reaches the backends
        so that a response cache never answers one trial with another's reply."""
        t0 = time.perf_counter()
        kinds = offered(families.get(episode.family))
        tools = tool_schemas(kinds) if self.agent.uses_tools else None
        system = episode.agent_prompt
        if not self.agent.uses_tools:
            system = f"{system.rstrip()}\n\n{text_protocol(kinds, episode.protocol.answer)}\n"
        elif episode.protocol.answer == "per_user":
            system = f"{system.rstrip()}\n\n{per_user_format(tools=True)}\n"
        if episode.protocol.turns in TURN_NOTES:
            system = f"{system.rstrip()}\n\n{TURN_NOTES[episode.protocol.turns]}\n"
        guarded = _Guarded(episode, of_episode(episode))
        system = guarded.system(system)
        convo = AgentConversation(system)
        state = EpisodeRun([], [], None, 0, Usage(), Usage(), convo.reuse, convo.kept, 0.0)
        state.conversation, state.tools = convo.messages, tools
        guarded.bind(state)
        try:
            await self._run(episode, trial, kinds, tools, convo, state, guarded)
        except Exception as exc:
            state.error = describe_error(exc)
            state.ending = None
        state.latency_s = time.perf_counter() - t0
        return state

    async def _run(
        self,
        episode: EpisodeGraph,
        trial: int,
        kinds: Kinds,
        tools: list[dict[str, Any]] | None,
        convo: AgentConversation,
        state: EpisodeRun,
        guarded: _Guarded,
    ) -> None:
        sim = self.users.for_episode(episode, trial)
        state.user_usage = sim.usage
        audit = UserAudit(episode)
        transcript = state.transcript
        records = state.actions
        usage = state.agent_usage
        proto = episode.protocol

        openings: list[Message] = []
        if proto.greeting:
            # a scripted first agent turn (turn 0): every user sees it and answers it
            everyone = [p.id for p in episode.participants]
            hello = Message(turn=0, sender=AGENT, to=everyone, text=proto.greeting)
            transcript.append(hello)
            convo.add_assistant({"role": "assistant", "content": proto.greeting})
            texts = await sim.each(sim.reply(p, 0, [hello]) for p in episode.participants)
            texts = await self._audited(sim, audit, episode.participants, 0, texts, state)
            openings = [
                Message(turn=0, sender=p.id, to=[AGENT], text=text)
                for p, text in zip(episode.participants, texts, strict=True)
                if text
            ]
        elif proto.first == "users":
            texts = await sim.each(sim.opening(p) for p in episode.participants)
            texts = await self._audited(sim, audit, episode.participants, 0, texts, state)
            for p, text in zip(episode.participants, texts, strict=True):
                if text:
                    openings.append(Message(turn=0, sender=p.id, to=[AGENT], text=text))
        transcript += openings
        _place(state.findings, transcript)
        convo.add_user(guarded.incoming(openings) if openings else KICKOFF)

        ending: str | None = None
        turn = 0
        while turn < proto.max_turns and ending is None:
            turn += 1
            state.turns = turn
            guarded.ctx.turn = turn
            tries = 0
            while True:
                view = EpisodeView(episode, turn, transcript, convo.request(), tools, kinds,
                                   trial)  # fmt: skip
                reply = await self.agent.act(view)
                usage.add(reply.usage)
                message, call_ids = reply.message, reply.call_ids
                if message is None:
                    message, call_ids = _tool_calls(reply.actions, turn)
                else:
                    state.replies.append(_as_reply(turn, message, reply))
                convo.add_assistant(message)
                convo.replied()
                notes: list[str] = [f"could not read an action: {e}" for e in reply.errors]
                marks = len(transcript), len(records), len(state.interventions)
                for e in reply.errors:
                    records.append(
                        ActionRecord(turn=turn, name="(unreadable)", args={}, ok=False, note=e)
                    )
                results: list[str] = []
                again: list[str] = []  # guards that ask for the turn again, and why
                last = tries >= MAX_RETRIES
                guarded.ctx.tries = tries
                for action in reply.actions:
                    if ending is not None:
                        note = "ignored: the episode had already ended"
                        records.append(self._record(turn, action, ok=False, note=note))
                        results.append(note)
                        continue
                    note, ok, ends, done = self._guarded_apply(
                        episode, turn, action, transcript, guarded, again, last
                    )
                    records.append(self._record(turn, done, ok=ok, note=note))
                    results.append(note)
                    if ends and ok:
                        ending = "done"
                if again and not last:
                    # the whole turn is asked again: nothing of it was delivered
                    tries += 1
                    del transcript[marks[0] :]
                    del records[marks[1] :]
                    for undone in state.interventions[marks[2] :]:
                        undone.message = None  # what it delivered was taken back
                    ending = None
                    why = "; ".join(again)
                    for call in message.get("tool_calls") or []:
                        convo.add_tool_result(call["id"], f"not run: {why}")
                    convo.add_user(f"(Nothing of your last turn was delivered: {why}. "
                                   "Please try again.)")  # fmt: skip
                    continue
                break
            if message.get("tool_calls"):
                outcome = dict(zip(call_ids, results, strict=False)) | reply.failed
                for call in message["tool_calls"]:
                    convo.add_tool_result(call["id"], outcome.get(call["id"], "error: not run"))
            if ending is not None or proto.turns == "single_shot":
                break
            replies = await self._replies(episode, sim, turn, transcript, audit, state)
            transcript += replies
            _place(state.findings, transcript)
            incoming = guarded.incoming(replies) if replies else NO_REPLY
            if notes and not message.get("tool_calls"):
                incoming = "\n".join(f"({n})" for n in notes) + "\n\n" + incoming
            convo.add_user(guarded.remind(incoming))
        state.ending = ending or "limit"

    @staticmethod
    def _record(turn: int, action: Action, *, ok: bool, note: str) -> ActionRecord:
        return ActionRecord(turn=turn, name=action.name, args=action.dump(), ok=ok, note=note)

    def _guarded_apply(
        self,
        episode: EpisodeGraph,
        turn: int,
        action: Action,
        transcript: list[Message],
        guarded: _Guarded,
        again: list[str],
        last: bool,
    ) -> tuple[str, bool, bool, Action]:
        """One action through the episode's guards: the call first, then each message it
        would deliver. Returns (result for the agent, accepted?, ends?, the action run)."""
        if not guarded.active:
            return (*self._apply(episode, turn, action, transcript), action)
        rewrote: list[str] = []
        action, refused = guarded.check_call(action, again, last, rewrote)
        if refused is not None:
            return refused, False, False, action
        mark = len(transcript)
        note, ok, ends = self._apply(episode, turn, action, transcript)
        made = transcript[mark:]
        del transcript[mark:]
        kept, said = guarded.check_messages(made, mark, again, last)
        said = rewrote + said
        transcript += kept
        if made and not kept:
            return f"not delivered: {'; '.join(said)}", False, False, action
        if said:
            note = f"{note} ({'; '.join(said)})"
        return note, ok, ends, action

    def _apply(
        self, episode: EpisodeGraph, turn: int, action: Action, transcript: list[Message]
    ) -> tuple[str, bool, bool]:
        """Carry out one action; returns (result for the agent, accepted?, ends the episode?)."""
        args = action.args
        kind = kinds_of(episode.family)[action.name]
        ends = kind.ends
        public = episode.protocol.turns == "broadcast"  # one channel: everyone sees everything
        if isinstance(args, SendMessage):
            to, unknown = resolve_users(episode, args.to)
            if not to:
                return f"not delivered: no such user {', '.join(unknown) or '(none)'}", False, False
            if public:
                to = [p.id for p in episode.participants]
            kind = "unaddressed" if action.unaddressed else "message"
            transcript.append(Message(turn=turn, sender=AGENT, to=to, text=args.text, kind=kind))
            extra = f"; unknown: {', '.join(unknown)}" if unknown else ""
            return f"delivered to {', '.join(to)}{extra}", True, False
        if isinstance(args, Answer):
            everyone = [p.id for p in episode.participants]
            transcript.append(Message(turn=turn, sender=AGENT, to=everyone, text=args.text))
            return "answer delivered to everyone; the episode is over", True, ends
        if isinstance(args, Finish):
            return "the conversation is over (the report is recorded, not sent)", True, ends
        if kind.apply is not None:
            note, ok = kind.apply(episode, turn, args, transcript, public)
            return note, ok, ends and ok
        return "recorded; the episode is over", True, ends

    async def _audited(
        self,
        sim: UserSimulator,
        audit: UserAudit,
        people: list[Participant],
        turn: int,
        texts: list[str | None],
        state: EpisodeRun,
    ) -> list[str | None]:
        """Each user's message checked against what they declared and know; a flagged
        one is asked again up to `verify` times, and what is still wrong is recorded."""
        out: list[str | None] = []
        for p, text in zip(people, texts, strict=True):
            found = audit.check(p, turn, text, state.transcript) if text else []
            tries = 0
            while found and tries < self.users.verify:
                again = await sim.again(p, turn)
                if again is None:
                    break
                tries, text = tries + 1, again
                found = audit.check(p, turn, text, state.transcript) if text else []
            state.findings += [
                Finding(turn=turn, user=p.id, check=c, detail=d, regenerated=tries)
                for c, d in found
            ]
            out.append(text)
        return out

    async def _replies(
        self,
        episode: EpisodeGraph,
        sim: UserSimulator,
        turn: int,
        transcript: list[Message],
        audit: UserAudit,
        state: EpisodeRun,
    ) -> list[Message]:
        """Who replies after an agent turn: `addressed`, the users the agent wrote to;
        `broadcast`, everyone (every message reached everyone); `round_robin`, the next
        user in declared order, whether written to or not."""
        incoming: dict[str, list[Message]] = {}
        for m in transcript:
            if m.turn == turn and m.sender == AGENT:
                for user in m.to:
                    incoming.setdefault(user, []).append(m)
        people = episode.participants
        mode = episode.protocol.turns
        if mode == "broadcast":
            addressed = list(people)
        elif mode == "round_robin" and people:
            addressed = [people[(turn - 1) % len(people)]]
        else:
            addressed = [p for p in people if p.id in incoming]
        texts = await sim.each(sim.reply(p, turn, incoming.get(p.id, [])) for p in addressed)
        texts = await self._audited(sim, audit, addressed, turn, texts, state)
        return [
            Message(turn=turn, sender=p.id, to=[AGENT], text=t)
            for p, t in zip(addressed, texts, strict=True)
            if t
        ]


def _place(findings: list[Finding], transcript: list[Message]) -> None:
    """Point each new finding at the message it is about (its user's, on its turn)."""
    for f in findings:
        if f.message is None:
            f.message = next(
                (i for i in range(len(transcript) - 1, -1, -1)
                 if transcript[i].sender == f.user and transcript[i].turn == f.turn),
                None,
            )  # fmt: skip


class _Guarded:
    """One episode's guards, with their context: what the engine asks them, in order."""

    def __init__(self, episode: EpisodeGraph, setting: str) -> None:
        self.episode = episode
        self.setting = setting
        self.active: list[Guard] = [g for g in stack(setting) if g.applies(episode.family)]
        self.ctx = GuardContext(episode, 0, [], [])
        self.log: list[Intervention] = []

    def bind(self, state: EpisodeRun) -> None:
        self.ctx.transcript, self.ctx.actions = state.transcript, state.actions
        self.log = state.interventions

    def system(self, prompt: str) -> str:
        for g in self.active:
            prompt = g.system(self.ctx, prompt)
        return prompt

    def incoming(self, messages: list[Message]) -> str:
        shown = messages
        for g in self.active:
            shown = [m.model_copy(update={"text": g.incoming(self.ctx, m)}) for m in shown]
        return render_incoming(self.episode.identity, shown)

    def remind(self, text: str) -> str:
        lines = [line for g in self.active if (line := g.reminder(self.ctx))]
        return "\n\n".join([text, *lines]) if lines else text

    def _record(self, g: Guard, verdict: Any, target: str | None, message: int | None = None,
                last: bool = False) -> str:  # fmt: skip
        act = "block" if verdict.action == "retry" and last else verdict.action
        self.log.append(Intervention(turn=self.ctx.turn, guard=g.name, action=act,
                                     reason=verdict.reason, target=verdict.target or target,
                                     message=message))  # fmt: skip
        return f"guard {g.name}: {verdict.reason}"

    def check_call(self, action: Action, again: list[str], last: bool,
                   rewrote: list[str]) -> tuple[Action, str | None]:  # fmt: skip
        """The call to run instead of `action` (what rewrote it goes in `rewrote`), or
        why it is not run."""
        for g in self.active:
            v = g.call(self.ctx, action)
            if v.action == "pass":
                continue
            said = self._record(g, v, action.name, last=last)
            if v.action == "rewrite" and v.call is not None:
                action = v.call
                rewrote.append(said)
            elif v.action == "retry" and not last:
                again.append(said)
                return action, f"not run: {said}"
            elif v.action in ("block", "retry"):
                return action, f"blocked by {said}"
        return action, None

    def check_messages(self, made: list[Message], at: int, again: list[str],
                       last: bool) -> tuple[list[Message], list[str]]:  # fmt: skip
        """The messages to deliver instead of `made` (which would have stood at `at` in
        the transcript), and what the guards said about them."""
        kept: list[Message] = []
        said: list[str] = []
        rewrote: list[tuple[Intervention, Message]] = []  # placed once all guards are done
        for m in made:
            out = [m]
            for g in self.active:
                nxt: list[Message] = []
                for one in out:
                    v = g.message(self.ctx, one)
                    if v.action == "pass":
                        nxt.append(one)
                        continue
                    said.append(self._record(g, v, ", ".join(one.to), None, last))
                    if v.action == "rewrite":
                        nxt += v.messages
                        # the copy it changed (a copy for entitled readers may come first)
                        changed = [c for c in v.messages if c.text != one.text] or v.messages
                        if changed:
                            rewrote.append((self.log[-1], changed[0]))
                    elif v.action == "retry" and not last:
                        again.append(said[-1])
                out = nxt
            kept += out
        for record, copy in rewrote:
            record.message = next((at + i for i, k in enumerate(kept) if k is copy), None)
        return kept, said
