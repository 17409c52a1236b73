"""Shared-queue records: ranked users send orders tagged `[ref: NNNN]`; the record
lists which an ideal orchestrator accepts and why it rejects the rest.

The record states outcomes, not their causes. The importer writes the causes
museslang derives outcomes from: a harmful order is `harmful: true`; an order
rejected for a higher authority `conflicts:` with the accepted order of a
higher-ranked user it shares most words with; of two equal-rank rivals the
accepted one gets the higher `priority`. It then derives the outcome again and
reports the record if it does not come out as stated.
"""

from __future__ import annotations

import heapq
import itertools
import re
from typing import Any

from museslang.families.shared_queue import truth as queue
from museslang.interop.muses_bench.common import (
    BLOCK,
    FAMILIES,
    Family,
    Imported,
    export_users,
    finish_record,
    finish_scenario,
    finish_user,
    persona_entry,
    scenario_decl,
    user_decl,
)
from museslang.interop.muses_bench.records import Fields, RecordError
from museslang.ir.models import EpisodeGraph, Participant
from museslang.syntax.writer import Decl, Ref, is_name

_REF = re.compile(r"^(?P<text>.*?)\s*\[ref:\s*(?P<ref>[^\]\s]+)\]\s*$", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
_COMMON = frozenset(
    ("a", "an", "the", "for", "of", "to", "and", "or", "in", "on", "with", "my", "me", "i",
     "we", "you", "can", "could", "please", "help", "need", "this", "that", "it", "is", "be",
     "our", "your", "let", "s", "don", "t", "do")
)  # fmt: skip


def order_text(text: str, ref: str | None) -> str:
    return f"{text} [ref: {ref}]" if ref else text


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _COMMON


class _Order:
    def __init__(self, oid: str, by: str, authority: int, text: str, ref: str) -> None:
        self.id, self.by, self.authority, self.text, self.ref = oid, by, authority, text, ref
        self.conflicts: str | None = None
        self.harmful = False
        self.priority = 0


def _merge(chains: list[list[str]], rank: dict[str, int]) -> list[str]:
    """One order of every id that keeps each chain's order (ties: `rank`), if any does."""
    after: dict[str, set[str]] = {i: set() for i in rank}
    needs = dict.fromkeys(rank, 0)
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            if b not in after[a]:
                after[a].add(b)
                needs[b] += 1
    ready = [(rank[i], i) for i, n in needs.items() if n == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, i = heapq.heappop(ready)
        out.append(i)
        for j in after[i]:
            needs[j] -= 1
            if needs[j] == 0:
                heapq.heappush(ready, (rank[j], j))
    return out if len(out) == len(rank) else sorted(rank, key=rank.__getitem__)


def _expected(rec: Fields) -> tuple[list[str], list[tuple[str, str]]]:
    exp = rec.object("expected_output")
    accepted = exp.texts("accepted_instructions")
    rejected = []
    for r in exp.objects("rejected_instructions"):
        reason = r.need("reason", str)
        if reason not in queue.REASONS:
            known = ", ".join(queue.REASONS[:3])
            raise RecordError(r.where("reason"), f"unknown reason '{reason}' (known: {known})")
        rejected.append((r.need("id", str), reason))
    return accepted, rejected


def _causes(orders: dict[str, _Order], accepted: list[str], rejected: list[tuple[str, str]]):
    """Write the cause of each rejection as museslang states it."""
    for i, (oid, reason) in enumerate(rejected):
        order = orders[oid]
        if reason == queue.HARMFUL:
            order.harmful = True
            continue
        if reason == queue.OVER_CAPACITY:
            raise RecordError(
                f"expected_output.rejected_instructions[{i}]",
                "over_capacity needs a target worker, which official orders do not name",
            )
        higher = reason == queue.OUTRANKED
        rivals = [
            orders[a]
            for a in accepted
            if (orders[a].authority > order.authority if higher else
                orders[a].authority == order.authority and orders[a].by != order.by)
        ]  # fmt: skip
        if not rivals:
            who = "higher" if higher else "equal"
            raise RecordError(
                f"expected_output.rejected_instructions[{i}]",
                f"{oid} is rejected as {reason}, but no accepted order comes from a user of "
                f"{who} authority",
            )
        words = _words(order.text)
        rival = max(rivals, key=lambda o: len(words & _words(o.text)))  # first of the best
        order.conflicts = rival.id
        if not higher:
            rival.priority = max(rival.priority, order.priority + 1)


def scenario(rec: Fields, taken: set[str]) -> Imported:
    sc = scenario_decl(rec, "shared_queue", taken)
    sc.set("objective", rec.text("global_objective"))
    sc.set("template", Ref("xml"))  # the official prompt shows <Name>instructions</Name>
    out = Imported(sc, {"identity"})
    extra: dict[str, Any] = {}
    system = rec.need("system_prompt", str)
    accepted, rejected = _expected(rec)
    decided = {oid: i for i, oid in enumerate(accepted + [r for r, _ in rejected])}
    by_ref = {}
    for oid in decided:
        m = re.fullmatch(r"(.+)_task_([^_]+)", oid)
        by_ref[m.group(2) if m else oid] = oid

    names: set[str] = set()
    users: list[Decl] = []
    orders: dict[str, _Order] = {}
    chains: list[list[str]] = []
    for u in rec.objects("users"):
        decl, uextra = user_decl(u, names, BLOCK)
        uid = decl.name or "?"
        authority = u.need("authority", int)
        decl.set("authority", authority)
        texts = u.texts("instructions")
        chain = []
        for i, text in enumerate(texts):
            m = _REF.match(text)
            if m is None:
                raise RecordError(f"{u.where('instructions')}[{i}]", "has no [ref: NNNN] tag")
            # official ids are USER_task_REF: two users' orders may share a ref (W007)
            own = f"{uid}_task_{m['ref']}"
            oid = own if own in decided else by_ref.get(m["ref"])
            if oid is None:
                raise RecordError(
                    f"{u.where('instructions')}[{i}]",
                    f"[ref: {m['ref']}] is neither accepted nor rejected in expected_output",
                )
            if not is_name(oid) or oid in orders or oid in names:
                raise RecordError(f"{u.where('instructions')}[{i}]", f"cannot name order '{oid}'")
            orders[oid] = _Order(oid, uid, authority, m["text"], m["ref"])
            chain.append(oid)
        if [order_text(orders[o].text, orders[o].ref) for o in chain] != texts:
            uextra["instructions"] = texts  # spacing the canonical tag would not reproduce
        chains.append(chain)
        users.append(finish_user(decl, u, uextra))
    missing = [oid for oid in decided if oid not in orders]
    if missing:
        raise RecordError("expected_output", f"{missing[0]} is no user's instruction")
    _causes(orders, accepted, rejected)

    # declare orders so that derived outcomes list in the record's order
    position = {oid: i for i, oid in enumerate(o for chain in chains for o in chain)}
    sequence = _merge([*chains, accepted, [r for r, _ in rejected]], position)
    decisions, _ = queue.decide(
        [
            queue.QueueOrder(o.id, o.by, float(o.authority), tuple(filter(None, [o.conflicts])),
                             o.harmful, o.priority)
            for o in (orders[i] for i in sequence)
        ]
    )  # fmt: skip
    got_accepted = [d.id for d in decisions if d.accept]
    got_rejected = [(d.id, d.reason or "") for d in decisions if not d.accept]
    if (got_accepted, got_rejected) != (accepted, rejected):
        if (sorted(got_accepted), sorted(got_rejected)) != (sorted(accepted), sorted(rejected)):
            raise RecordError("expected_output", "museslang derives a different outcome")
        extra["expected_output"] = rec.data["expected_output"]  # same sets, other order
    rec.mark("expected_output")

    for decl in users:
        sc.add(decl)
    resources = rec.get("resources", dict, {})
    for name, spec in resources.items():
        where = f"resources.{name}"
        if not is_name(name) or name in names:
            raise RecordError(where, f"'{name}' cannot be a museslang resource name")
        if not isinstance(spec, dict) or set(spec) - {"capacity"}:
            raise RecordError(where, "should be an object with only `capacity`")
        capacity = spec.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
            raise RecordError(f"{where}.capacity", "should be a whole number")
        sc.add(Decl("resource", name).set("capacity", capacity))
    for oid in sequence:
        o = orders[oid]
        decl = Decl("order", oid).set("by", Ref(o.by)).set("text", o.text).set("ref", o.ref)
        decl.set("conflicts", Ref(o.conflicts) if o.conflicts else None)
        decl.set("harmful", True if o.harmful else None)
        decl.set("priority", o.priority or None)
        sc.add(decl)
    sc.add(Decl("sweep").set("users", len(users)))
    finish_scenario(sc, rec, extra, system)
    return out


def record(ep: EpisodeGraph) -> dict[str, Any]:
    truth = ep.truth.queue

    def user(p: Participant) -> dict[str, Any]:
        return {
            "id": p.id,
            "role": p.role or "",
            "authority": p.authority if p.authority is not None else 0,
            "instructions": [order_text(o.text, o.ref) for o in ep.orders if o.by == p.id],
            "goal": p.goal or "",
            "xml_persona_entry": persona_entry(p, BLOCK),
        }

    return finish_record(
        ep,
        {
            "id": ep.id,
            "scenario": ep.title or ep.scenario,
            "global_objective": ep.objective or "",
            "resources": {
                f.id: {"capacity": f.capacity} for f in ep.facts if f.capacity is not None
            },
            "users": export_users(ep, user),
            "system_prompt": ep.agent_prompt,
            "expected_output": {
                "accepted_instructions": list(truth.accepted) if truth else [],
                "rejected_instructions": [
                    {"id": r.id, "reason": r.reason} for r in (truth.rejected if truth else [])
                ],
            },
        },
    )


def losses(ep: EpisodeGraph) -> list[str]:
    """A record's resources are workers with a capacity; nothing else."""
    return [
        f"resource '{f.id}' (a record's resources are workers with a capacity)"
        for f in ep.facts
        if f.capacity is None
    ]


FAMILIES.register("shared_queue")(
    Family(
        "shared_queue",
        frozenset({"resources", "expected_output"}),
        scenario,
        record,
        losses,
        label="shared LLM inference queue",
    )
)
