"""Conditions over the whole conversation: `always`, `never`, `before`, `by_turn`,
`at_most_once` (PDDL3's trajectory constraints, Scenic's `require always`).

A plain goal reads the episode as it ended. These read it as it went: the episode is a
list of *moments*, the world after each event (the start; then, turn by turn, each message
the agent sent and each call the engine accepted, in the order the agent made them; then
the users' replies of that turn), and a condition is its argument judged at every moment:

- `always(X)`: X held at every moment, the start included;
- `never(X)`: X held at no moment;
- `at_most_once(X)`: X became true at most once (false, then true, counts as once);
- `before(A, B)`: whenever B first holds, A held at an earlier moment (true when B never
  holds: "no award before every bidder has spoken" says nothing of an episode without one);
- `by_turn(k, X)`: X held once the agent's turn k was over (the start for k < 1; the end
  when the episode ended sooner).

Moments share the episode's users, options, facts and step budget, so a condition costs
its argument's steps once per moment and stays within the episode's bound. A world built
without its moments (a guard judging one message, a compiled oracle's plan scored at once)
is one moment: the conditions then read it as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from museslang.expr import nodes as E

if TYPE_CHECKING:
    from museslang.expr.evaluate import Evaluator, World

TEMPORAL = ("always", "never", "at_most_once", "before", "by_turn")


def moments(w: World) -> list[World]:
    return w.moments if w.moments else [w]


def evaluate(ev: Evaluator, node: E.Call, scope: dict[str, Any]) -> bool:
    """`node` judged over the moments of `ev`'s world, each by an evaluator of its own."""
    timeline = moments(ev.world)
    judge = type(ev)

    def at(m: World, arg: E.Node) -> bool:
        return bool(judge(m).eval(arg, judge.unforced(scope)))

    fn, args = node.fn, node.args
    if fn == "always":
        return all(at(m, args[0]) for m in timeline)
    if fn == "never":
        return not any(at(m, args[0]) for m in timeline)
    if fn == "at_most_once":
        rises, was = 0, False
        for m in timeline:
            now = at(m, args[0])
            rises += now and not was
            was = now
        return rises <= 1
    if fn == "before":
        seen = False
        for m in timeline:
            if at(m, args[1]):
                return seen
            seen = seen or at(m, args[0])
        return True
    k = ev.eval(args[0], scope) or 0  # by_turn (none counts as 0, as in arithmetic)
    reached = [m for m in timeline if m.turn <= k]
    return at(reached[-1] if reached else timeline[0], args[1])


def why(ev: Evaluator, node: E.Call, scope: dict[str, Any], text: str) -> str:
    """Why a condition over the conversation does not hold, in the episode's turns: the
    moment it failed, for an episode view and `explain` (its argument as written)."""
    timeline = moments(ev.world)
    judge = type(ev)
    written = [text[a.start : a.end].strip() for a in node.args]

    def at(m: World, arg: E.Node) -> bool:
        return bool(judge(m).eval(arg, judge.unforced(scope)))

    def turns(marks: list[int]) -> str:
        return ", ".join(str(t) for t in marks)

    fn, args = node.fn, node.args
    if fn == "always":
        first = next((m for m in timeline if not at(m, args[0])), None)
        return f"{written[0]} did not hold on turn {first.turn}" if first else ""
    if fn == "never":
        first = next((m for m in timeline if at(m, args[0])), None)
        return f"{written[0]} held on turn {first.turn}" if first else ""
    if fn == "at_most_once":
        rises, was = [], False
        for m in timeline:
            now = at(m, args[0])
            if now and not was:
                rises.append(m.turn)
            was = now
        return f"{written[0]} became true {len(rises)} times (turns {turns(rises)})"
    if fn == "before":
        seen: int | None = None
        for m in timeline:
            if at(m, args[1]):
                return (
                    f"{written[1]} held on turn {m.turn}, before {written[0]} did"
                    if seen is None
                    else ""
                )
            if seen is None and at(m, args[0]):
                seen = m.turn
        return ""
    return f"{written[1]} did not hold once turn {written[0]} was over"
