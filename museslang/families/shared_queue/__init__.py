"""A shared LLM inference queue: users of different authority place orders on workers
with limited capacity; the agent accepts or rejects each, in one decision."""

from museslang.families.shared_queue import actions, ground, players
from museslang.family import (
    ONE_SHOT_PROTOCOL,
    SCENARIO_FIELDS,
    USER_FIELDS,
    Family,
    Parts,
    TruthPart,
    own_modules,
)

FAMILY = Family(
    hooks=own_modules(__name__, __path__),
    mutations=f"{__name__}.mutations:mutations",
    corpus=f"{__name__}.corpus",
    explain=f"{__name__}.explain:explain",
    parts=Parts(truth={"queue": TruthPart(ground.QueueTruth, always=True)}),
    players=players.PLAYERS,
    own_actions=(actions.DECIDE_ORDERS,),
    name="shared_queue",
    summary="accept or reject orders on a shared queue by authority, capacity and harm",
    reads={
        "scenario": SCENARIO_FIELDS,
        "user": (*USER_FIELDS, "task"),
        "resource": ("title", "capacity", "jobs"),
        "order": ("*",),
        "goal": ("*",),
        "protocol": ONE_SHOT_PROTOCOL,
        "population": ("pool", "roles", "workload", "orders", "harmful"),
        "sweep": ("*",),
    },
    metrics=(
        "mais",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "rejection_precision",
        "rejection_recall",
        "rejection_f1",
        "capacity_violations",
    ),
    conditions={
        "accepted": (("order",), (), "the order is accepted"),
        "rejected": (("order",), (), "the order is rejected"),
        "decided": ((), (), "every order is accepted or rejected as the ground truth says"),
    },
    display="shared queue",
    official=(
        ("MAIS", "mais"),
        ("accuracy", "accuracy"),
        ("F1", "f1"),
        ("precision", "precision"),
        ("recall", "recall"),
    ),
    paper_columns=((1, "Queue F1", "f1"),),
    rank=3,
    success=("accuracy",),
    actions=("decide_orders",),
    turns="single_shot",
    ending="queue_decision",
    max_turns=1,
    needs=("roles", "workload"),
    verbatim_users=True,
    guards=(f"{__name__}.guard:GUARD",),
)
