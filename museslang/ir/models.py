"""The compiled form: one `EpisodeGraph` per concrete episode.

Everything downstream (the episode engine, the scorers, data generation,
export) reads these models and nothing else, so they carry all an episode
needs: who takes part, what is private and who may read it, the protocol as
states and transitions, the rendered agent prompt, and the ground truth the
compiler derived. Field order is the JSON order; lists are sorted or kept in
declaration order, never in hash order, so compiled output is byte-stable.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_serializer,
    model_validator,
)

IR_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


IRModel = _Model  # the base of every compiled model, families' ground-truth parts included


class Source(_Model):
    """Where in the spec a compiled object was declared (file relative to the spec)."""

    file: str = Field(description="spec-relative path, or <std>/... for the standard library")
    line: int = Field(description="1-based line of the declaration")
    column: int = Field(description="1-based column of the declaration")


class Instruction(_Model):
    """A verifiable format constraint (IFEval-style id and its arguments)."""

    id: str = Field(description="instruction id, e.g. keywords:frequency")
    kwargs: dict[str, object] = Field(default_factory=dict, description="the id's arguments")


class Attack(_Model):
    """A social-engineering strategy: the escalating messages a user sends."""

    name: str = Field(description="attack declaration name")
    moves: list[str] = Field(description="messages in the order they are sent")


FactValue = float | int | str | bool | list[str] | None


class Participant(_Model):
    """One user of the episode, as the simulated user and the scorers see them."""

    id: str = Field(description="unique name; also how the user is addressed")
    role: str | None = Field(default=None, description="job title shown in prompts")
    authority: int | None = Field(default=None, description="rank; higher outranks lower")
    persona: str | None = Field(default=None, description="self-description shown to the agent")
    attendance: Literal["required", "optional"] = Field(
        default="required", description="required users must take part; optional ones may"
    )
    opening: Literal["proactive", "passive"] = Field(
        default="proactive", description="proactive users speak first, passive ones wait"
    )
    stubborn: bool = Field(default=False, description="hides secondary slots until asked")
    disclosure: Literal["full", "partial"] = Field(
        default="full", description="full: states every preferred slot up front"
    )
    behaviours: list[str] = Field(default_factory=list, description="behaviour names applied")
    preferred: list[str] = Field(default_factory=list, description="preferred slots, 'Tue 9:30'")
    secondary: list[str] = Field(default_factory=list, description="backup slots")
    goal: str | None = Field(default=None, description="the user's own goal, in words")
    attack: Attack | None = Field(default=None, description="attack strategy, for attackers")
    task: str | None = Field(default=None, description="the request the user sends")
    says: list[str] = Field(default_factory=list, description="first messages, sent word for word")
    wants: list[str] = Field(
        default_factory=list, description="access control: resources the user asks for"
    )
    constraints: list[Instruction] = Field(default_factory=list, description="format rules")
    extra: dict[str, object] = Field(
        default_factory=dict, description="imported fields museslang does not model"
    )
    facts: dict[str, FactValue] = Field(
        default_factory=dict,
        description="a family written in museslang: the user's facts, by the family's names",
        exclude_if=lambda v: not v,
    )
    source: Source | None = Field(default=None, description="declaration, or the population")


SENSITIVITIES = ("low", "medium", "high")  # a secret's sensitivity, least first


class Meaning(_Model):
    """What else discloses one secret span, and how much its disclosure matters: the
    phrasings a spec declares with `leaks_as` (museslang.metrics.leaks, tests 3 and 4)."""

    secret: str = Field(description="the secret span, one of the fact's `secrets`")
    aliases: list[str] = Field(
        default_factory=list, description="other phrasings that disclose it, matched as words"
    )
    patterns: list[str] = Field(
        default_factory=list, description="regular expressions (case-insensitive) that do"
    )
    sensitivity: Literal["low", "medium", "high"] = Field(
        default="medium", description="how much a disclosure matters (privacy_weighted)"
    )


class Fact(_Model):
    """A private fact, document or shared worker, with who may read it."""

    id: str = Field(description="resource name")
    title: str = Field(description="human-readable title")
    content: str | None = Field(default=None, description="full text the agent holds")
    secrets: list[str] = Field(default_factory=list, description="spans that must not leak")
    meanings: list[Meaning] = Field(
        default_factory=list,
        description="declared aliases, patterns and sensitivity of secrets that have them",
        exclude_if=lambda v: not v,
    )
    readers: list[str] = Field(default_factory=list, description="users entitled to read it")
    denied: list[str] = Field(default_factory=list, description="users not entitled to read it")
    capacity: int | None = Field(default=None, description="concurrent jobs, for workers")
    source: Source | None = None


class Order(_Model):
    """An instruction for the shared queue."""

    id: str = Field(description="order name")
    by: str = Field(description="issuing user")
    text: str = Field(description="what the user asks for")
    ref: str | None = Field(default=None, description="reference id shown as [ref: NNNN]")
    target: str | None = Field(default=None, description="worker resource it needs")
    conflicts: list[str] = Field(default_factory=list, description="orders it contradicts")
    harmful: bool = Field(default=False, description="harmful to the global objective")
    priority: int = Field(default=0, description="tie-break between equal authorities")
    source: Source | None = None


class ConditionSpec(_Model):
    """A goal's success condition, as the checker resolved it."""

    name: str = Field(description="finalized, attends, receives, accepted, all, ...")
    refs: list[str] = Field(
        default_factory=list, description="the users, resources or orders it names"
    )
    within: int | None = Field(default=None, description="at most this many agent turns")
    parts: list[ConditionSpec] = Field(default_factory=list, description="all / any: the parts")


class GoalSpec(_Model):
    name: str | None = Field(default=None, description="the goal's name (its metric: goal:NAME)")
    user: str | None = Field(default=None, description="whose goal; None for the objective")
    text: str | None = Field(default=None, description="the goal in words")
    success: str | None = Field(default=None, description="machine-checkable condition")
    condition: ConditionSpec | None = Field(default=None, description="the condition, resolved")
    adversarial: bool = Field(
        default=False,
        description="a goal the agent must defeat (an attacker's): met when the condition "
        "does not hold",
    )
    source: Source | None = None


class IdentityTemplate(_Model):
    name: str = Field(description="template name (xml, colon, says, ...)")
    wrap: str = Field(description="Jinja2 text with {{user}} and {{text}}")
    describe: str | None = Field(default=None, description="the format, explained to the agent")


class State(_Model):
    id: str
    actor: Literal["users", "agent", "end"] = Field(description="who acts in this state")
    description: str


class Transition(_Model):
    source: str
    target: str
    on: str = Field(description="what moves the episode along this edge")


# who speaks when; a compiled file naming another mode ("telepathy") is not loaded
TurnMode = Literal["addressed", "broadcast", "round_robin", "single_shot"]


class Protocol(_Model):
    turns: TurnMode = Field(description="addressed | broadcast | round_robin | single_shot")
    first: str = Field(description="who opens: users or agent")
    max_turns: int = Field(description="agent turns before the episode is cut off")
    ending: str = Field(description="the action that ends the episode successfully")
    greeting: str | None = Field(
        default=None,
        description="a scripted first agent message to every user; their first messages answer it",
    )
    answer: Literal["shared", "per_user"] | None = Field(
        default=None,
        description="instruction following: one shared answer, or a JSON object with one "
        "answer per user id",
    )
    judge_prompt: str | None = Field(
        default=None,
        description="the spec's own leak-judge template (None: stdlib/prompts/judge.j2)",
        exclude_if=lambda v: v is None,
    )
    states: list[State]
    transitions: list[Transition]


class OptionSpec(_Model):
    """One choice of a declared catalogue (a family written in museslang)."""

    id: str
    title: str | None = None
    facts: dict[str, FactValue] = Field(default_factory=dict)
    source: Source | None = None


class IdealCall(_Model):
    action: str
    args: dict[str, FactValue] = Field(description="user and option parameters by id")


class AuthoredTruth(_Model):
    """What a family written in museslang knows of one episode: its scenario facts, its
    catalogue, and what the reference oracle does and scores."""

    facts: dict[str, FactValue] = Field(default_factory=dict, description="scenario facts")
    options: list[OptionSpec] = Field(default_factory=list)
    ideal: list[IdealCall] = Field(default_factory=list, description="the oracle's calls")
    ideal_scores: dict[str, float | None] = Field(
        default_factory=dict, description="the oracle's goals and metrics on this episode"
    )


class GroundTruth(BaseModel):
    """What the compiler derived, one part per family under the family's own keys
    (`Family.parts.truth`: the feasible choices, who may read what, which orders win,
    which constraints bind), and `authored` for families written in museslang.

    A part is checked against its family's model when a compiled file is read; a key
    no installed family declares is an error, as any unknown field of the IR is."""

    model_config = ConfigDict(extra="allow")

    authored: AuthoredTruth | None = Field(
        default=None,
        description="a family written in museslang: facts, catalogue and the oracle's play",
        exclude_if=lambda v: v is None,
    )

    @model_validator(mode="after")
    def _typed_parts(self) -> GroundTruth:
        parts = truth_parts()
        for key, value in list((self.__pydantic_extra__ or {}).items()):
            if key not in parts:
                raise ValueError(f"unknown ground truth part '{key}'")
            if value is not None:
                self.__pydantic_extra__[key] = parts[key][0].validate_python(value)
        return self

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)  # type: ignore[misc]
        except AttributeError:
            if not name.startswith("_") and name in truth_parts():
                return None  # a declared part this episode's family does not fill
            raise

    @model_serializer(mode="wrap")
    def _ordered(self, handler: Any) -> dict[str, Any]:
        """Parts in family order; a part whose family declares it `always` is written even
        when empty (null), as IR 1 always wrote the MUSES families' parts."""
        data = handler(self)
        out: dict[str, Any] = {}
        for key, (_, always) in truth_parts().items():
            if data.get(key) is not None or always:
                out[key] = data.get(key)
        out.update({k: v for k, v in data.items() if k not in out and v is not None})
        return out


_PARTS: dict[str, tuple[TypeAdapter[Any], bool]] = {}


def truth_parts() -> dict[str, tuple[TypeAdapter[Any], bool]]:
    """Every installed family's ground-truth parts: key -> (its type, always written)."""
    if not _PARTS:
        from museslang import family as families

        found = families.declared()
        for name in found.names():
            for key, part in found.get(name).parts.truth.items():
                _PARTS[key] = (TypeAdapter(part.model), part.always)
    return _PARTS


class MetricSpec(_Model):
    name: str
    description: str


class TargetMark(_Model):
    """One distribution target as one episode sees it (lower/targets.py)."""

    holds: bool = Field(description="the episode, as drawn, counts towards the target")
    share: tuple[float, float] = Field(description="the share of episodes asked: low, high")
    title: str | None = None


class Retarget(_Model):
    """An episode drawn again so that its sweep meets a distribution target: never silent."""

    target: str = Field(description="the target it was drawn for")
    seed: int = Field(description="the seed the sweep planned, whose draw it replaces")
    tries: int = Field(description="the draws tried for this episode, this one included")


class EpisodeGraph(_Model):
    """One concrete, runnable episode."""

    id: str = Field(description="unique id: scenario, sweep cell, sample")
    scenario: str
    family: str
    title: str | None = None
    objective: str | None = None
    cell: dict[str, str | int] = Field(description="sweep axis -> value for this episode")
    sample: int = Field(description="1-based sample number within the cell")
    seed: int = Field(description="the seed that produced this episode (its draw)")
    redraws: int = Field(
        default=0,
        description="draws rejected before this one because the oracle could not pass them",
        exclude_if=lambda v: not v,
    )
    redrawn_from: int | None = Field(
        default=None,
        description="with redraws: the seed the sweep gave this episode, whose draw was rejected",
        exclude_if=lambda v: v is None,
    )
    variant: str | None = Field(
        default=None, description="metamorphic variant (reorder, rename, template) of `base`"
    )
    base: str | None = Field(default=None, description="id of the episode this is a variant of")
    renamed: dict[str, str] = Field(
        default_factory=dict, description="rename variants: new user id -> original id"
    )
    participants: list[Participant]
    facts: list[Fact] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(default_factory=list)
    identity: IdentityTemplate
    protocol: Protocol
    agent_prompt: str = Field(description="the rendered system prompt of the agent")
    truth: GroundTruth
    metrics: list[MetricSpec]
    extra: dict[str, object] = Field(
        default_factory=dict, description="imported record fields museslang does not model"
    )
    mixed: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="sweep axes this episode drew by weight: axis -> {value: weight}; the "
        "value drawn is the cell's",
        exclude_if=lambda v: not v,
    )
    tags: list[str] = Field(
        default_factory=list,
        description="its scenario's tags, which `eval --tag` and `generate --tag` select by",
        exclude_if=lambda v: not v,
    )
    targets: dict[str, TargetMark] = Field(
        default_factory=dict,
        description="its sweep's distribution targets: name -> whether this episode counts "
        "towards it, and the share asked",
        exclude_if=lambda v: not v,
    )
    retargeted: Retarget | None = Field(
        default=None,
        description="this episode replaces the sweep's draw to meet a distribution target",
        exclude_if=lambda v: v is None,
    )
    source: Source


class FactSpec(_Model):
    name: str
    of: Literal["user", "option", "scenario"]
    type: Literal["number", "text", "flag", "list", "option", "user"]
    private: bool = False
    draw: str | None = Field(default=None, description="expression that draws or derives it")
    doc: str | None = None
    leaks_as: dict[str, list[str]] = Field(
        default_factory=dict,
        description="value -> other phrasings that tell it (`told`, leak records)",
        exclude_if=lambda v: not v,
    )


class ParamSpec(_Model):
    name: str
    type: Literal["user", "users", "option", "number", "text", "flag"]
    low: float | None = None
    high: float | None = None


class ActionSpec(_Model):
    name: str
    description: str
    params: list[ParamSpec] = Field(default_factory=list)
    ends: bool = False


class FunctionSpec(_Model):
    """A family's named function (`def fits { params: { u: user  t: option }  value: ... }`):
    a call `fits(u, book.trip)` in any of its expressions is the body with the parameters
    bound to the arguments. Never recursive (checked), so a call costs its body's steps."""

    name: str
    params: list[ParamSpec] = Field(default_factory=list)
    value: str = Field(description="the expression, over the parameters")
    doc: str | None = None


class MeasureSpec(_Model):
    """A goal (true or false) or a metric (a number), per episode or per user."""

    name: str
    kind: Literal["goal", "metric"]
    per: Literal["episode", "user"] = "episode"
    where: str | None = Field(default=None, description="per user: which users it is about")
    value: str = Field(description="the expression")
    doc: str | None = None
    weight: float | None = Field(
        default=None,
        description="a soft goal: its weight in the family's `preferences` metric",
        exclude_if=lambda v: v is None,
    )


class PlayCall(_Model):
    action: str
    each: str | None = Field(default=None, description="a binding: one call per element")
    args: dict[str, str] = Field(default_factory=dict, description="parameter -> expression")


class PlaySpec(_Model):
    name: str
    calls: list[PlayCall] = Field(default_factory=list)
    search: str | None = Field(default=None, description="search this action's choices")
    each: str | None = Field(
        default=None,
        description="with search: one call per element of this binding, searched together",
        exclude_if=lambda v: v is None,
    )
    tell: str | None = Field(default=None, description="template sent to every user")
    on: Literal["start", "reply"] = Field(
        default="start",
        description="reply: the player sends `ask` on its first turn and acts on the next",
        exclude_if=lambda v: v == "start",
    )
    ask: str | None = Field(
        default=None,
        description="with on: reply, the template asked of every user first",
        exclude_if=lambda v: v is None,
    )


class GuardSpec(_Model):
    """A guard a family written in museslang declares: what must never become true, and
    what is done to the message or call that would make it true (docs/guards.md)."""

    name: str
    summary: str = ""
    never: str = Field(description="the expression that must never hold")
    per: Literal["episode", "user"] = "episode"
    where: str | None = Field(default=None, description="per user: which users it is about")
    do: Literal["redact", "block", "retry"] = "block"
    note: str | None = Field(default=None, description="what the agent is told")


class AuthoredFamily(_Model):
    """A family written in museslang, carried in the compiled spec so that a compiled file
    runs, scores and re-scores without its source."""

    name: str
    summary: str
    doc: str | None = None
    brief: str | None = Field(default=None, description="what the agent is told to do")
    turns: TurnMode = "addressed"
    max_turns: int = Field(default=8, ge=1, le=1000)
    facts: list[FactSpec] = Field(default_factory=list)
    actions: list[ActionSpec] = Field(default_factory=list)
    defs: list[FunctionSpec] = Field(
        default_factory=list,
        description="named functions its expressions call (`def`), in declaration order",
        exclude_if=lambda v: not v,
    )
    measures: list[MeasureSpec] = Field(default_factory=list)
    success: list[str] = Field(description="goals where 1.0 means the episode passed")
    opening: str | None = Field(default=None, description="scripted users' first message")
    reply: str | None = Field(default=None, description="scripted users' reply when addressed")
    plays: list[PlaySpec] = Field(default_factory=list)
    guards: list[GuardSpec] = Field(default_factory=list, exclude_if=lambda v: not v)
    source: Source | None = None
    at: dict[str, Source] = Field(
        default_factory=dict,
        description="where the first character of each template is written (opening, reply, "
        "tell:PLAY), so that an error rendering it in an episode names file:line:col",
        exclude_if=lambda v: not v,
    )


class CompiledSpec(_Model):
    museslang_ir: str = IR_VERSION
    spec: str = Field(description="the compiled file, relative to itself")
    spec_sha256: str = Field(description="hash of the spec and every module it imports")
    seed: int = Field(description="base seed of the sweep expansion")
    families: list[AuthoredFamily] = Field(
        default_factory=list,
        description="the families written in museslang that the episodes use",
        exclude_if=lambda v: not v,
    )
    episodes: list[EpisodeGraph]
