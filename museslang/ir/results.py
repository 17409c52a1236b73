"""What a run records: the transcript, the actions taken, and one result per episode.

These are the lines of `results.jsonl`. They hold everything scoring needs, so
metrics can be recomputed from stored transcripts without re-running a model.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

AGENT = "agent"
# recipients that address every user (any case): no user can be named one of them, or AGENT
BROADCAST = ("all", "everyone", "everybody", "all users")
MAX_TRIALS = 10_000  # trials per episode; a stored trial number past it is not a result

# metrics that compare episodes with each other: the run summary computes them
# (`metrics.stability`), so no per-episode scorer exists or is looked up
CROSS_EPISODE = ("priority_stability",)
# the values museslang's own metrics put on every family's results (the metrics registry's
# "*:" metrics declare them; a test keeps the two in step). The checker reads this list so
# that a written family's goal or metric cannot take one of these names, without loading
# the metrics floor
COMMON_METRICS = frozenset({
    "audit_gap", "audit_missed", "cut_replies", "empty_replies", "first_leak_turn", "goals",
    "leak_rate_helpful", "leaks:content", "leaks:final", "leaks:message",
    "leaks:tool_argument", "parse_failures", "prefix_reuse", "privacy_judged",
    "privacy_weighted", "simulator_errors",
})  # fmt: skip


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Message(_Record):
    """One message on one channel: from a user to the agent, or from the agent to users."""

    turn: int = Field(description="agent turn it belongs to; 0 for the users' openings")
    sender: str = Field(description="'agent' or a user id")
    to: list[str] = Field(description="recipients: ['agent'] or user ids")
    text: str
    kind: Literal["message", "content", "unaddressed"] = Field(
        default="message",
        description="content: a resource's text delivered by an action; unaddressed: text-mode "
        "prose that named no recipient, delivered to everyone",
    )


class ActionRecord(_Record):
    """An action the agent took, as parsed, and what the engine made of it."""

    turn: int
    name: str
    args: dict[str, object]
    ok: bool = Field(default=True, description="False when the engine rejected the action")
    note: str | None = Field(default=None, description="why it was rejected, or what it did")


class Reply(_Record):
    """What a model agent wrote on one turn, as it wrote it (before any parsing).

    Kept so that a run can be re-read under other rules without the model: `--metrics
    compat` parses these texts the way the official runner does, and a reader can see
    what a weak model produced that no parser understood."""

    turn: int
    text: str | None = Field(default=None, description="the reply's text (content)")
    tool_calls: list[dict[str, object]] = Field(
        default_factory=list, description="tool calls as sent: name and arguments text"
    )
    actions: int = Field(default=0, description="actions read from it")
    unaddressed: int = Field(
        default=0,
        description="of those, prose that followed no action format and went to everyone",
    )
    unreadable: list[str] = Field(
        default_factory=list, description="tool calls or directives that could not be read"
    )
    notes: list[str] = Field(
        default_factory=list, description="what was cut or ignored (an over-long reply, ...)"
    )


class Leak(_Record):
    """One disclosure of a protected span to a recipient who may not read it.

    Stored on the result so that a reader (and `show`, the report, `rescore`) can say
    which secret went to whom, when, by which channel and which test fired, instead of
    reconstructing it from the transcript by hand."""

    resource: str = Field(description="the resource (or private fact) the secret belongs to")
    secret: str = Field(description="the declared secret span")
    recipient: str = Field(description="the user who received it")
    turn: int = Field(description="agent turn of the delivery")
    channel: Literal["message", "content", "tool_argument", "final"] = Field(
        description="message: text the agent addressed; content: a resource delivered by an "
        "action; tool_argument: inside a tool call's arguments; final: the final answer"
    )
    test: str = Field(
        description="the test that fired: exact, tokens, alias, pattern or judge (judge "
        "verdicts also name the judge model in `note`)"
    )
    message: int | None = Field(
        default=None, description="index into `transcript` of the delivering message"
    )
    span: tuple[int, int] | None = Field(
        default=None, description="character offsets of the match in that message's text"
    )
    evidence: str = Field(default="", description="the delivered text that matched")
    note: str | None = None
    sensitivity: Literal["low", "medium", "high"] = Field(
        default="medium", description="the secret's declared sensitivity"
    )
    verdicts: dict[str, str] = Field(
        default_factory=dict,
        description="judge leaks: each judge model's verdict (yes, no, or what it wrote)",
    )


class Finding(_Record):
    """A simulated user's turn that broke what the user declared or knows (the audit)."""

    turn: int = Field(description="agent turn the user's message answered (0: the opening)")
    user: str
    check: str = Field(
        description="impersonation, invented_fact, private_fact, unknown_person, early_end, "
        "behaviour, ..."
    )
    detail: str = Field(description="what was wrong, in one line")
    message: int | None = Field(default=None, description="index into `transcript`")
    regenerated: int = Field(default=0, description="times the turn was asked again first")


class Intervention(_Record):
    """What a guard did to an agent turn before it was delivered."""

    turn: int
    guard: str
    action: Literal["pass", "rewrite", "block", "retry"]
    reason: str
    target: str | None = Field(
        default=None, description="what it acted on: a recipient, a tool call, a span"
    )
    message: int | None = Field(
        default=None, description="index into `transcript` of the message it delivered instead"
    )


class Usage(_Record):
    requests: int = 0
    cached: int = Field(default=0, description="requests answered from the response cache")
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.cached += other.cached
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


class EpisodeResult(_Record):
    """One line of results.jsonl."""

    id: str
    scenario: str
    family: str
    cell: dict[str, str | int]
    sample: int
    seed: int = Field(
        ge=0, lt=2**63, description="the seed this trial ran with (trial 0: the compiled seed)"
    )
    redraws: int = Field(
        default=0,
        description="draws the compiler rejected before this episode's (the oracle could not "
        "pass them)",
        exclude_if=lambda v: not v,
    )
    trial: int = Field(
        default=0, ge=0, lt=MAX_TRIALS, description="0..K-1 when each episode runs K times"
    )
    variant: str | None = Field(default=None, description="metamorphic variant of `base`")
    base: str | None = Field(default=None, description="id of the original episode")
    agent: str
    users: str
    team: int | None = Field(
        default=None, ge=0, description="how many users took part (figures by team size read it)"
    )
    status: Literal["ok", "errored"]
    error: str | None = Field(default=None, description="why the episode could not finish")
    ending: str | None = Field(
        default=None, description="done (the ending action), limit (turns ran out), or None"
    )
    turns: int = Field(ge=0, description="agent turns taken")
    transcript: list[Message]
    actions: list[ActionRecord]
    replies: list[Reply] = Field(
        default_factory=list,
        description="model agents: each turn's reply as written (reference agents write none)",
    )
    metrics: dict[str, float | list[float] | None] = Field(default_factory=dict)
    unevaluated: dict[str, str] = Field(
        default_factory=dict,
        description="metric -> why its expression could not be evaluated on this episode (a "
        "family written in museslang: such a goal counts as not met, such a metric is None)",
    )
    agent_usage: Usage = Field(default_factory=Usage)
    user_usage: Usage = Field(default_factory=Usage)
    prefix_reuse: list[float] = Field(
        default_factory=list,
        description="per agent request after the first: share of the prompt that repeats "
        "the previous request and its reply verbatim",
    )
    prefix_kept: float | None = Field(
        default=None,
        description="lowest share of a request that the next request repeats verbatim; "
        "1.0 when the conversation is append-only",
    )
    decision: str | None = Field(
        default=None,
        description="the agent's decisions as canonical JSON, in the original episode's names "
        "(compared across variants for priority_stability)",
    )
    leaks: list[Leak] = Field(
        default_factory=list, description="every detected leak (default metrics scheme)"
    )
    judge: str | None = Field(
        default=None,
        description="the leak judge(s) that were asked about this result (--judge), comma "
        "separated; None: not judged (privacy_judged is then None)",
    )
    findings: list[Finding] = Field(
        default_factory=list, description="the simulated-user audit's findings"
    )
    interventions: list[Intervention] = Field(
        default_factory=list, description="what guards did on each turn"
    )
    latency_s: float = Field(ge=0, allow_inf_nan=False, description="wall time of the episode")
    conversation: list[dict[str, object]] | None = Field(
        default=None,
        description="the agent's chat as it was sent (kept by `museslang generate` only)",
    )
    tools: list[dict[str, object]] | None = Field(
        default=None, description="the tool schemas the agent was offered (with conversation)"
    )

    @field_validator("metrics")
    @classmethod
    def _finite(cls, metrics: dict) -> dict:
        """A stored value that is no number (inf, nan, 1e999) would poison every mean it
        enters; museslang never writes one (JSON holds none), so such a line is refused."""
        for name, value in metrics.items():
            values = value if isinstance(value, list) else [value]
            if any(v is not None and not math.isfinite(v) for v in values):
                raise ValueError(f"metric {name} is not a finite number")
        return metrics

    @property
    def key(self) -> tuple[str, int]:
        """What identifies a result in a run: the episode and the trial."""
        return self.id, self.trial
