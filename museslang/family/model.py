"""The family contract: the `Family` value a family folder or plug-in hands museslang, and
the field names every family's declarations may use. This is the bottom of the house
(floor 1): it imports nothing of museslang (its annotations name the action catalogue's
`ActionKind`, under TYPE_CHECKING), so every stage can ask a family what it needs without
importing the plug-in folder (`museslang.families`), which sits above them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from museslang.actions import ActionKind

# fields every family's declarations may use, for building `Family.reads`
SCENARIO_FIELDS = ("family", "title", "objective", "metrics", "template", "id", "extra")
USER_FIELDS = ("role", "authority", "persona", "behaviour", "template", "goal", "says", "extra")
CONVERSATION_PROTOCOL = ("turns", "max_turns", "prompt", "template", "ends", "first", "system",
                         "greeting")  # fmt: skip
ONE_SHOT_PROTOCOL = ("turns", "ends", "max_turns", "prompt", "template", "system")


@dataclass(frozen=True)
class TruthPart:
    """One part of a compiled episode's ground truth: its model (the type itself, one
    pydantic validates: an ir.models.IRModel subclass, `dict[str, list[str]]`), and
    whether it is written even when empty (null), as IR 1 always wrote the MUSES
    families' parts."""

    model: Any
    always: bool = False


@dataclass(frozen=True)
class Parts:
    """A family's typed parts of the compiled IR: `truth` maps a key of the episode's
    ground truth (`truth.meeting`) to its part. Checked when a compiled file is read
    (ir.models.GroundTruth)."""

    truth: Mapping[str, TruthPart] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """Everything the core asks of a family before it runs one of its episodes."""

    name: str
    summary: str  # one line for `museslang families`
    # kind -> the fields its scenarios use ("*": every field); a kind missing here may not
    # appear in the family's scenarios at all (a field the family ignores would silently
    # do nothing: E024)
    reads: dict[str, tuple[str, ...]]
    metrics: tuple[str, ...]  # the metrics a spec of this family may declare, in order
    success: tuple[str, ...]  # outputs where 1.0 means the episode passed (gate, pass^k)
    actions: tuple[str, ...]  # the actions the agent is offered, by name
    # the protocol when the spec does not say: turn mode, the action that ends an episode
    # (`max_turns`: none does), agent turns
    turns: str = "addressed"
    ending: str = "max_turns"
    max_turns: int = 10
    axes: tuple[str, ...] = ()  # family-specific sweep axes it accepts
    # goal conditions about its outcome: name -> (argument kinds, keywords, what it means);
    # `personal` ones are about one user (the goal's own when none is named)
    conditions: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = field(
        default_factory=dict
    )
    personal: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # population fields its generated users cannot do without
    verbatim_users: bool = False  # LLM users send their scripted opening word for word
    min_generated_users: int = 1
    # reports: its name in prose; the MUSES Bench paper's names for its metrics (paper name,
    # museslang metric); its columns in the paper's table (position, heading, metric)
    display: str = ""
    official: tuple[tuple[str, str], ...] = ()
    paper_columns: tuple[tuple[int, str, str], ...] = ()
    rank: int = 100  # where it is listed among families (then by name)
    # a folder of its own templates (its agent prompt is `prompts/<name>.j2`), searched
    # after the spec's folder and before the standard library; museslang's own live there
    templates: str | None = None
    hooks: tuple[str, ...] = ()  # modules that register its behaviour, imported lazily
    origin: str = field(default="museslang", compare=False)  # package that provides it
    # its agent prompt template when not `prompts/<name>.j2`, and what that template is
    # given beyond what every prompt gets (episode -> variables)
    prompt: str | None = None
    variables: Callable[[Any], dict[str, Any]] | None = field(default=None, compare=False)
    docs: dict[str, str] = field(default_factory=dict)  # its metrics' descriptions
    # the module lending museslang's own robustness tests its specs, records, fuzz
    # strategy and stub replies (museslang.testing.corpus); never imported at run time
    corpus: str | None = None
    # its ground truth, as a value: what an episode is lowered from (a
    # museslang.lower.episodes.Lowered: the scenario, its participants, facts, orders,
    # calendar slots and draws) -> the parts of its `truth` (key -> value, each key one of
    # `parts.truth`); None: its episodes carry none of their own
    truth: Callable[[Any], dict[str, Any]] | None = field(default=None, compare=False)
    # how its generated users are shaped for the sweep cell, as a value: the people drawn
    # from the pool (a museslang.lower.episodes.Drawn) -> (participants, their orders);
    # None: the users as drawn
    population: Callable[[Any], tuple[list[Any], list[Any]]] | None = field(
        default=None, compare=False
    )
    # its typed parts of the compiled IR (the ground truth's keys and their models), as
    # values: read when a compiled file is loaded (ir.models.GroundTruth)
    parts: Parts = field(default_factory=Parts)
    # its reference players (`--agent reference:<policy>`), as values: policy (`oracle`,
    # `comply`, `refuse`, ...) -> what that policy does on the agent's turn (a
    # museslang.runtime.engine.EpisodeView -> its list of actions); a policy left out is
    # one the family does not support (`reference:` says so instead of playing)
    players: Mapping[str, Callable[[Any], list[Any]]] = field(default_factory=dict, compare=False)
    # its scripted users (`--users scripted`), as a value: (episode, participant) -> the
    # person (museslang.family.people: an opening and a reply per turn); None: the core's,
    # who send their opening (`says:`, orders or task) and never reply
    users: Callable[[Any, Any], Any] | None = field(default=None, compare=False)
    # the action kinds it defines beyond museslang's own (`finalize_meeting`, ...), as
    # values (museslang.actions.ActionKind): what its `actions` may name besides
    # send_message, finish and answer; no other family's episodes see them
    own_actions: tuple[ActionKind, ...] = field(default=(), compare=False)
    # its checks of its scenarios, as values: (stage, check) pairs, a check being
    # (scenario, diagnostics) -> None (it reports, never changes the scenario); each stage
    # runs at a fixed point among the checks every family gets (museslang.semantics.rules):
    # "fields" after the fields and metrics, "sweep" after the sweep, "population" after
    # the population, "late" after the goals; in this order within a stage
    checks: tuple[tuple[str, Callable[[Any, Any], None]], ...] = field(default=(), compare=False)
    # why one of its episodes failed, in one line, and the ground truth a reader needs
    # beside the transcript (`museslang show`, the report's episode view, exports):
    # "module:function" (imported when asked) or the function itself, called with the
    # episode and its result and returning a museslang.report.explain.Explanation;
    # None: the core's default, read from its success metrics and goals alone
    explain: str | Callable[[Any, Any], Any] | None = field(default=None, compare=False)
    # "module:function"s, imported when used (`hook`): the damage its actions allow to the
    # oracle's play, for the mutation audit ((episode, result) -> [Mutation],
    # runtime.mutations); and what its simulated users' messages are checked against, for
    # the simulator audit ((episode, user, text, heard) -> [(check, detail)],
    # runtime.user_audit)
    mutations: str | None = None
    user_checks: str | None = None
    # an attack family's AgentDojo triple: (the attack axis, the utility metric, the metric
    # whose value above 0 means the attack succeeded), in summaries, tables and reports
    triple: tuple[str, str, str] | None = None
    # the guards it brings (`museslang guards`, `eval --guard`): "module:attribute" (imported
    # when guards are first looked up) or the museslang.runtime.guard.Guard itself
    guards: tuple[Any, ...] = field(default=(), compare=False)
