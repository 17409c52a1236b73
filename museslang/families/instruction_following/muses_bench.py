"""Instruction-following records: ranked users each send a request with IFEval
format constraints; one shared answer must meet the constraints that count.

MUSES Bench decides which count by mode: in `aligned` records every user's
constraints count (even where two contradict), in `conflict` records only the
highest-ranked users'. The importer writes that as `binding: all` or
`binding: top`, so museslang scores the records as the paper does. The official
runner asks for one JSON object with an answer per user and checks each user's part
against that user's constraints: imported records say `answer: per_user`.
"""

from __future__ import annotations

from typing import Any

from museslang.instructions.verifiers import INSTRUCTIONS, request
from museslang.interop.muses_bench.common import (
    FAMILIES,
    INLINE,
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
from museslang.ir.models import EpisodeGraph, Instruction, Participant
from museslang.syntax.writer import Call, Decl, Ref

MODES = {"aligned": "all", "conflict": "top"}  # official mode -> museslang `binding:`


def _answer(constraints: list[Instruction]) -> dict[str, Any]:
    """IFEval's layout: parallel lists of ids and kwargs."""
    return {
        "instruction_id_list": [c.id for c in constraints],
        "kwargs": [dict(c.kwargs) for c in constraints],
    }


def _constraints(answer: Fields) -> list[Call]:
    ids = answer.texts("instruction_id_list")
    kwargs = answer.need("kwargs", list)
    if len(kwargs) != len(ids):
        raise RecordError(answer.where("kwargs"), f"has {len(kwargs)} entries for {len(ids)} ids")
    out = []
    for i, (ident, args) in enumerate(zip(ids, kwargs, strict=True)):
        where = f"{answer.where('kwargs')}[{i}]"
        if ident not in INSTRUCTIONS:
            at = f"{answer.where('instruction_id_list')}[{i}]"
            raise RecordError(at, f"unknown instruction id '{ident}'")
        if not isinstance(args, dict):
            raise RecordError(where, "should be an object")
        problems = INSTRUCTIONS.get(ident).problems(args)
        if problems:
            raise RecordError(where, f"{ident}: {problems[0]}")
        out.append(Call(ident.replace(":", "."), tuple(args.items())))
    return out


def scenario(rec: Fields, taken: set[str]) -> Imported:
    sc = scenario_decl(rec, "instruction_following", taken)
    sc.set("objective", rec.text("global_objective"))
    sc.set("template", Ref("xml"))  # the official prompt shows <Name>instructions</Name>
    out = Imported(sc, {"identity"})
    extra: dict[str, Any] = {}
    system = rec.need("system_prompt", str)
    meta = rec.object("meta")
    mode = meta.need("mode", str)
    if mode not in MODES:
        raise RecordError(meta.where("mode"), f"unknown mode '{mode}' (known: aligned, conflict)")
    sc.set("binding", Ref(MODES[mode]))
    sc.set("answer", Ref("per_user"))

    names: set[str] = set()
    answers = []
    ranked = []
    for u in rec.objects("users"):
        decl, uextra = user_decl(u, names, INLINE)
        authority = u.need("authority", int)
        decl.set("authority", authority)
        decl.set("says", u.texts("instructions"))
        answer = u.object("original_answer")
        decl.set("constraints", _constraints(answer))
        answers.append(answer.data)
        ranked.append((decl.name, authority, answer.data))
        sc.add(finish_user(decl, u, uextra))
    if not ranked:
        raise RecordError(rec.where("users"), "lists no users")
    top = max(a for _, a, _ in ranked)
    binding = [d for _, a, d in ranked if mode == "aligned" or a == top]
    derived_truth = {
        "instruction_id_list": [i for d in binding for i in d["instruction_id_list"]],
        "kwargs": [k for d in binding for k in d["kwargs"]],
    }
    if rec.get("iheval_ground_truth", dict, derived_truth) != derived_truth:
        extra["iheval_ground_truth"] = rec.data["iheval_ground_truth"]
    derived_meta = {"mode": mode, "num_users": len(ranked), "source_files": answers}
    if meta.data != derived_meta:
        extra["meta"] = meta.data
    rec.mark("meta")
    sc.add(Decl("sweep").set("users", len(ranked)).set("mode", [Ref(mode)]))
    finish_scenario(sc, rec, extra, system)
    return out


def record(ep: EpisodeGraph) -> dict[str, Any]:
    truth = {(c.user, c.index): c.binding for c in ep.truth.constraints or []}
    binding = [
        c for p in ep.participants for i, c in enumerate(p.constraints) if truth.get((p.id, i))
    ]
    mode = ep.cell.get("mode")
    if mode is None:
        overridden = any(c.overridden_by for c in ep.truth.constraints or [])
        mode = "conflict" if overridden else "aligned"

    def user(p: Participant) -> dict[str, Any]:
        says = p.says or [request(p.task or p.goal, [(c.id, c.kwargs) for c in p.constraints])]
        return {
            "id": p.id,
            "role": p.role or "",
            "authority": p.authority if p.authority is not None else 0,
            "instructions": says,
            "goal": p.goal or "",
            "xml_persona_entry": persona_entry(p, INLINE),
            "original_answer": _answer(p.constraints),
        }

    return finish_record(
        ep,
        {
            "id": ep.id,
            "scenario": ep.title or ep.scenario,
            "global_objective": ep.objective or "",
            "users": export_users(ep, user),
            "system_prompt": ep.agent_prompt,
            "iheval_ground_truth": _answer(binding),
            "meta": {
                "mode": str(mode),
                "num_users": len(ep.participants),
                "source_files": [_answer(p.constraints) for p in ep.participants],
            },
        },
    )


def losses(ep: EpisodeGraph) -> list[str]:
    """The official runner asks for one answer per user."""
    if ep.protocol.answer == "per_user":
        return []
    return ["protocol answer: shared (the official runner asks each user's part separately)"]


FAMILIES.register("instruction_following")(
    Family(
        "instruction_following",
        frozenset({"iheval_ground_truth", "meta"}),
        scenario,
        record,
        losses,
        label="multi-user instruction following",
        many_openings=True,
    )
)
