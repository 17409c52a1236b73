"""The expression language's built-in functions as a reader sees them: a signature and a
line on what each does. The editor's hover shows them and the type checker's hints quote
them when a call is written wrongly. The names are the type checker's
(`expr.types.FUNCTIONS`); a test fails when a function is added there and not here, so
neither hover nor a hint goes blank."""

from __future__ import annotations

# name -> (signature, what it does)
SIGNATURES: dict[str, tuple[str, str]] = {
    "sum": ("sum(x in xs [where C]: NUMBER) -> number", "the values added up"),
    "mean": ("mean(x in xs [where C]: NUMBER) -> number", "the values' mean"),
    "min": (
        "min(a, b, ...) -> number | min(x in xs [where C]: NUMBER) -> number",
        "the smallest of the values",
    ),
    "max": (
        "max(a, b, ...) -> number | max(x in xs [where C]: NUMBER) -> number",
        "the largest of the values",
    ),
    "count": (
        "count(x in xs [where C][: BOOL]) -> number",
        "how many items meet the condition (with no body: every item the `where` keeps)",
    ),
    "all": ("all(x in xs [where C]: BOOL) -> bool", "true when every item meets the condition"),
    "any": ("any(x in xs [where C]: BOOL) -> bool", "true when some item meets the condition"),
    "argmax": (
        "argmax(x in xs [where C]: NUMBER) -> item",
        "the item with the largest value (the first of equals)",
    ),
    "argmin": (
        "argmin(x in xs [where C]: NUMBER) -> item",
        "the item with the smallest value (the first of equals)",
    ),
    "abs": ("abs(x) -> number", "the absolute value"),
    "round": ("round(x) -> number", "the nearest whole number"),
    "floor": ("floor(x) -> number", "the whole number at or below x"),
    "ceil": ("ceil(x) -> number", "the whole number at or above x"),
    "len": ("len(list or text) -> number", "how many items (or characters)"),
    "told": (
        "told(user, value) -> bool",
        "the agent wrote the value to that user, not by coincidence (docs/families.md, "
        "What `told` means)",
    ),
    "called": (
        "called(call) -> bool",
        "whether the action was taken: called(book), called(grant[u])",
    ),
    "default": (
        "default(value, fallback) -> value",
        "the value, or the fallback when it reads a call never made: default(grant[u].amount, 0)",
    ),
    "uniform": ("uniform(a, b) -> number", "a random number between a and b (draws only)"),
    "randint": ("randint(a, b) -> number", "a random whole number from a to b (draws only)"),
    "pick": ("pick(xs) -> item", "one item of the list, at random (draws only)"),
    "sample": (
        "sample(xs, k) -> list",
        "k items of the list at random, none drawn twice, in the list's order (draws only)",
    ),
    "chance": ("chance(p) -> bool", "true with probability p (draws only)"),
    "spoke": ("spoke(user) -> bool", "the user wrote to the agent"),
    # conditions over the conversation, judged at every moment of the episode
    # (docs/families.md, Conditions over the conversation)
    "always": ("always(C) -> bool", "C held at every moment, the start included"),
    "never": ("never(C) -> bool", "C held at no moment"),
    "at_most_once": (
        "at_most_once(C) -> bool",
        "C became true at most once (an assignment changed back and forth is twice)",
    ),
    "before": (
        "before(A, B) -> bool",
        "whenever B first holds, A held at an earlier moment (true when B never does)",
    ),
    "by_turn": (
        "by_turn(k, C) -> bool",
        "C held once the agent's turn k was over (the end, when the episode ended sooner)",
    ),
}
