"""Guards a family written in museslang declares: `guard NAME { never: "..." do: ... }`.

The condition is the family's own expression language, the one its goals are written in,
so a guard says in the spec's terms what must never happen (`any(v in users where v !=
u: told(v, u.floor))`) instead of a pattern written by hand per benchmark. It is judged
at the two moments the agent acts:

- **a message**, before anyone gets it: the condition is evaluated as if this message
  were the only one the agent had sent, one recipient at a time (the users' own messages
  and the calls accepted so far stay as they were, so `told`'s rule 3 still knows what a
  recipient had another reason to hear). Judging the message alone, not the episode so
  far, keeps the guard acting after a first leak got past it: "already told someone"
  must not let the same secret go to everyone else.
- **a call of one of the family's actions**, before it runs: the condition is evaluated
  with the call added to those accepted so far, and the guard acts only when it holds with
  the call and did not without it (a grant that takes the total past the budget, not every
  call after one that did).

`do: redact` cuts what made `told` hold (each span `told` found, as `acl` cuts a secret)
for the recipients it holds for and delivers the rest; the others get the message as
written; a message with nothing left is not delivered to them. `block` stops the message
or call and the agent reads the guard's `note:`; `retry` asks the agent to try the turn
again (at most `runtime.guard.MAX_RETRIES` times, then it blocks). A condition that
cannot be evaluated on the episode (a division by zero) does not act: a guard stands in
front of the agent and never makes up a reason to stop it.

What it cannot do, like every guard that reads text: see a value the model paraphrases
beyond what `told` reads (declared phrasings, numbers in any notation; docs/guards.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from museslang.actions import Action
from museslang.authored import outcome
from museslang.authored.install import INSTALLED
from museslang.expr.evaluate import Budget, EvalError, Evaluator, OutOfSteps, World, parsed
from museslang.ir.models import AuthoredFamily, GuardSpec
from museslang.ir.results import AGENT, Message
from museslang.runtime.guard import PASS, Guard, GuardContext, Verdict

WITHHELD = "[withheld]"
MAX_CUTS = 64  # spans cut from one message before the guard withholds all of it


def _fresh(w: World, **changes: Any) -> World:
    """The world with `changes`, and a step budget of its own: each judgement is bounded
    alone, so a long episode's many judgements never add up to the bound."""
    return replace(w, budget=Budget(), **changes)


class Declared(Guard):
    """One `guard` declaration of one family, as a museslang Guard."""

    def __init__(self, fam: AuthoredFamily, spec: GuardSpec) -> None:
        self.fam = fam
        self.spec = spec
        self.name = spec.name
        verb = {"redact": "cuts", "block": "blocks", "retry": "asks again about"}[spec.do]
        self.summary = spec.summary or f"{verb} what would make `{spec.never}` hold"
        self.families = (fam.name,)

    # ---- evaluation -------------------------------------------------------------------
    def _world(self, ctx: GuardContext) -> World:
        """The episode so far as the family's expressions read it, prepared once a turn."""
        memo = ctx.memo(self)
        key = (ctx.turn, len(ctx.transcript), len(ctx.actions))
        if memo.get("key") != key:
            memo["key"] = key
            memo["world"] = outcome.played(self.fam, ctx.episode, ctx.result())
        return memo["world"]

    def _holds(self, w: World) -> tuple[bool, list[tuple[str, Any]]]:
        """Whether `never` holds (for any of its users, per user), and where `told` held."""
        spec, found, held = self.spec, [], False
        scopes: list[dict[str, Any]] = [{"u": u} for u in w.users] if spec.per == "user" else [{}]
        for scope in scopes:
            try:
                if spec.where is not None and not Evaluator(w).eval(parsed(spec.where), scope):
                    continue
                ev = Evaluator(w)
                value = ev.eval(parsed(spec.never), scope)
            except (EvalError, ArithmeticError, OutOfSteps):
                continue  # cannot be judged here: the guard does not act on it
            if bool(value) and not ev.missing:
                held = True
                found += ev.told
        return held, found

    def _alone(self, w: World, user: str, text: str) -> World:
        """The world as if `text`, sent to `user`, were all the agent had sent."""
        return _fresh(w, told={user: text})

    def _note(self, what: str) -> str:
        return self.spec.note or f"{what} would make `{self.spec.never}` hold"

    # ---- what the agent does ----------------------------------------------------------
    def message(self, ctx: GuardContext, message: Message) -> Verdict:
        if message.sender != AGENT or not message.to:
            return PASS
        w = self._world(ctx)
        copies: dict[str, list[str]] = {}  # the text each recipient gets -> who
        acted: list[str] = []
        for user in message.to:
            text = message.text
            held, found = self._holds(self._alone(w, user, text))
            if not held:
                copies.setdefault(text, []).append(user)
                continue
            acted.append(user)
            if self.spec.do != "redact":
                continue
            text = self._redact(w, user, text, found)
            if text is not None:
                copies.setdefault(text, []).append(user)
        if not acted:
            return PASS
        target = ", ".join(acted)
        if self.spec.do == "retry":
            return Verdict("retry", self._note("this message"), target)
        if self.spec.do == "block":
            return Verdict("block", self._note("this message"), target)
        kept = tuple(message.model_copy(update={"to": users, "text": text})
                     for text, users in copies.items())  # fmt: skip
        reason = self.spec.note or self.summary
        if not kept:
            return Verdict("block", reason, target)
        return Verdict("rewrite", reason, target, messages=kept)

    def _redact(self, w: World, user: str, text: str, found: list[tuple[str, Any]]) -> str | None:
        """The text with every span `told` found for `user` cut out, until the condition
        no longer holds; None when nothing worth sending is left."""
        for _ in range(MAX_CUTS):
            spans = sorted({m.span for who, m in found if who == user}, reverse=True)
            if not spans:
                return None  # it holds, but not by anything the text tells: withhold it
            for start, end in spans:  # from the end, so earlier offsets stay right
                text = text[:start] + WITHHELD + text[end:]
            held, found = self._holds(self._alone(w, user, text))
            if not held:
                left = text.replace(WITHHELD, "").strip(" \n\t.,;:-")
                return text if left else None
        return None

    def call(self, ctx: GuardContext, action: Action) -> Verdict:
        if not any(a.name == action.name for a in self.fam.actions):
            return PASS
        w = self._world(ctx)
        if self._holds(_fresh(w))[0]:
            return PASS  # it held before this call: the call is not what made it hold
        try:
            value = outcome.call_value(w, self.fam, action.name, action.dump())
        except (KeyError, StopIteration, TypeError, ValueError):
            return PASS  # a call the engine will refuse anyway
        calls = {**w.calls, action.name: [*w.calls.get(action.name, []), value]}
        after = _fresh(w, calls=calls)
        if not self._holds(after)[0]:
            return PASS
        act = "retry" if self.spec.do == "retry" else "block"
        return Verdict(act, self._note(f"the call {action.name}"), action.name)


class Shared(Guard):
    """The guards of one name that families declare, as the one guard `--guard NAME` asks
    for: two families written in museslang may both declare `no_leak`, and each episode
    is guarded by its own family's declaration."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_family: dict[str, Declared] = {}

    def _current(self) -> dict[str, Declared]:
        # a family installed again with another declaration binds anew; one that is no
        # longer installed, or no longer declares the guard, is left out
        return {n: d for n, d in self.by_family.items() if INSTALLED.get(n) is d.fam}

    @property  # type: ignore[override]
    def families(self) -> tuple[str, ...]:
        return tuple(sorted(self._current()))

    @property  # type: ignore[override]
    def summary(self) -> str:
        bound = self._current()
        return bound[min(bound)].summary if bound else ""

    def applies(self, family: str) -> bool:
        return family in self._current()

    def _of(self, ctx: GuardContext) -> Declared | None:
        return self._current().get(ctx.episode.family)

    def message(self, ctx: GuardContext, message: Message) -> Verdict:
        own = self._of(ctx)
        return own.message(ctx, message) if own is not None else PASS

    def call(self, ctx: GuardContext, action: Action) -> Verdict:
        own = self._of(ctx)
        return own.call(ctx, action) if own is not None else PASS


_SHARED: dict[str, Shared] = {}


def written(family: Any) -> list[Guard]:
    """The guards a family written in museslang declares (its `Family.guards` hook)."""
    fam = INSTALLED.get(family.name)
    if fam is None:
        return []
    declared = {g.name for g in fam.guards}
    for shared in _SHARED.values():
        if shared.name not in declared:
            shared.by_family.pop(fam.name, None)
    out: list[Guard] = []
    for spec in fam.guards:
        shared = _SHARED.setdefault(spec.name, Shared(spec.name))
        shared.by_family[fam.name] = Declared(fam, spec)
        out.append(shared)
    return out
