"""Access-control records: users asking for one guarded resource, some entitled,
the others trying to get it with a social-engineering attack.

The record gives the resource's content only inside the agent prompt; the
importer takes the lines of the prompt that hold the sensitive markers as the
resource's `content:`, and the markers as its `secrets:`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

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
    std_names,
    std_wraps,
    unwrap,
    user_decl,
    wrap,
)
from museslang.interop.muses_bench.records import Fields, RecordError
from museslang.ir.models import EpisodeGraph, Fact, Participant
from museslang.syntax.writer import Decl, Ref, name_for

ACCEPT, REJECT = "ACCEPT", "REJECT"
# the official data's attack labels -> std.attacks' names (and back on export)
ATTACK_NAMES = {"roleplaying": "role_playing", "fake_authorized": "fake_authorization"}
OFFICIAL_ATTACKS = {v: k for k, v in ATTACK_NAMES.items()}
SCENARIO_TYPE = "collab"  # the only scenario type the official generator writes


def content_of(prompt: str, markers: list[str]) -> str | None:
    """The span of whole prompt lines from the first to the last line holding a marker;
    markers found nowhere in the prompt are added on lines of their own."""
    lines = prompt.split("\n")
    hits = [i for i, line in enumerate(lines) if any(m and m in line for m in markers)]
    block = lines[hits[0] : hits[-1] + 1] if hits else []
    text = "\n".join(block)
    missing = [m for m in markers if m not in text]
    text = "\n".join([text, *missing]) if text else "\n".join(missing)
    return text or None


def scenario(rec: Fields, taken: set[str]) -> Imported:
    sc = scenario_decl(rec, "access_control", taken)
    out = Imported(sc)
    extra: dict[str, Any] = {}
    template = rec.need("user_id_template", str)
    label = rec.need("attack_type", str)
    attack = ATTACK_NAMES.get(label, label)
    title = rec.need("resource_name", str)
    prompt = rec.need("prompt", str)
    authorized = rec.texts("authorized_users")
    messages = rec.get("initial_messages", dict, {})
    expected = rec.object("expected_result")
    markers = expected.texts("sensitive_markers")
    wraps = std_wraps()
    if template in wraps:
        sc.set("template", Ref(template))
        out.imports.add("identity")
    else:
        extra["user_id_template"] = template
    known_attack = attack in std_names("attacks", "attack")
    if known_attack:
        out.imports.add("attacks")
    if not known_attack or OFFICIAL_ATTACKS.get(attack, attack) != label:
        extra["attack_type"] = label  # export writes the official spelling otherwise

    users = rec.objects("all_users")
    if not users:
        raise RecordError(rec.where("all_users"), "lists no users")
    names: set[str] = set()
    unwrapped = True
    declared: list[Decl] = []
    for u in users:
        decl, uextra = user_decl(u, names, BLOCK)
        uid = decl.name or "?"
        message = messages.get(uid)
        if message is not None:
            if not isinstance(message, str):
                raise RecordError(f"initial_messages.{uid}", "should be a string")
            inner = unwrap(wraps[template], uid, message) if template in wraps else None
            unwrapped = unwrapped and inner is not None
            decl.set("says", inner if inner is not None else message)
        if uid not in authorized and known_attack:
            decl.set("attack", Ref(attack))
        declared.append(decl)
        sc.add(finish_user(decl, u, uextra))
    for i, who in enumerate(authorized):
        if who not in names:
            raise RecordError(f"authorized_users[{i}]", f"'{who}' is not one of all_users")
    strays = sorted(set(messages) - names)
    if strays:
        raise RecordError(f"initial_messages.{strays[0]}", "is not one of all_users")
    if not unwrapped:
        extra["initial_messages"] = messages

    resource = Decl("resource", name_for(title, taken | names))
    for decl in declared:  # every user asks for the one resource the record is about
        at = len(decl.fields) - (decl.fields[-1][0] == "extra" if decl.fields else 0)
        decl.fields.insert(at, ("wants", [Ref(resource.name or "?")]))
    resource.set("title", title)
    resource.set("content", content_of(prompt, markers))
    resource.set("secrets", markers)
    resource.set("allow", [Ref(a) for a in authorized])
    sc.add(resource)

    # what the export derives must equal what the record says, or the record's value stays
    decisions = {u.data["id"]: ACCEPT if u.data["id"] in authorized else REJECT for u in users}
    derived = {
        "decisions": decisions,
        "sensitive_data": markers[0] if markers else "",
        "sensitive_markers": markers,
    }
    if expected.data != derived:
        extra["expected_result"] = expected.data
    rec.mark("expected_result")
    for key, value in (("num_users", len(users)), ("num_authorized", len(authorized))):
        if rec.get(key, int, value) != value:
            extra[key] = rec.data[key]
    if rec.get("scenario_type", str, SCENARIO_TYPE) != SCENARIO_TYPE:
        extra["scenario_type"] = rec.data["scenario_type"]

    sweep = Decl("sweep").set("users", len(users))
    if known_attack:
        sweep.set("attack", [Ref(attack)])
    if template in wraps:
        sweep.set("template", [Ref(template)])
    sc.add(sweep)
    finish_scenario(sc, rec, extra, prompt)
    return out


def _target(ep: EpisodeGraph) -> Fact | None:
    """The resource the record is about: the one most users want, else the first guarded."""
    guarded = [f for f in ep.facts if f.secrets] or ep.facts
    wanted = Counter(w for p in ep.participants for w in p.wants)
    if wanted:
        by_id = {f.id: f for f in ep.facts}
        top = max(wanted, key=lambda w: (wanted[w], -list(wanted).index(w)))
        if top in by_id:
            return by_id[top]
    return guarded[0] if guarded else None


def _opening(p: Participant) -> str | None:
    if p.says:
        return p.says[0]
    if p.attack is not None and p.attack.moves:
        return p.attack.moves[0]
    return p.task


def _attack(ep: EpisodeGraph) -> str:
    """The record's one attack: the sweep's, else the first written attacker's (a cell
    whose `attack` joins several written users' attacks, `pressure+role_playing`, names
    no single one)."""
    attackers = [p.attack.name for p in ep.participants if p.attack is not None]
    cell = ep.cell.get("attack")
    if cell is not None and (str(cell) in attackers or not attackers):
        return str(cell)
    return attackers[0] if attackers else "none"


def record(ep: EpisodeGraph) -> dict[str, Any]:
    fact = _target(ep)
    readers = fact.readers if fact is not None else []
    secrets = fact.secrets if fact is not None else []
    attack = _attack(ep)

    def user(p: Participant) -> dict[str, Any]:
        return {
            "id": p.id,
            "role": p.role or "",
            "authority_level": str(p.authority) if p.authority is not None else "",
            "background": p.persona or "",
            "xml_persona_entry": persona_entry(p, BLOCK),
            "goal": p.goal or "",
        }

    openings = {p.id: _opening(p) for p in ep.participants}
    return finish_record(
        ep,
        {
            "id": ep.id,
            "scenario": ep.title or ep.scenario,
            "scenario_type": SCENARIO_TYPE,
            "user_id_template": ep.identity.name,
            "attack_type": OFFICIAL_ATTACKS.get(str(attack), str(attack)),
            "resource_name": fact.title if fact is not None else "",
            "num_users": len(ep.participants),
            "num_authorized": len(readers),
            "authorized_users": list(readers),
            "all_users": export_users(ep, user),
            "initial_messages": {
                uid: wrap(ep.identity.wrap, uid, text)
                for uid, text in openings.items()
                if text is not None
            },
            "prompt": ep.agent_prompt,
            "expected_result": {
                "decisions": {p.id: ACCEPT if p.id in readers else REJECT for p in ep.participants},
                "sensitive_data": secrets[0] if secrets else "",
                "sensitive_markers": list(secrets),
            },
        },
    )


def losses(ep: EpisodeGraph) -> list[str]:
    """A record holds one resource and one attack: more is dropped, and said so."""
    fact = _target(ep)
    out = [
        f"resource '{f.id}' as a guarded resource (a record guards one, '{fact.id}'; "
        f"'{f.id}' stays in the prompt, its secrets unscored)"
        for f in ep.facts
        if fact is not None and f.id != fact.id
    ]
    attackers = [p for p in ep.participants if p.attack is not None]
    written = _attack(ep)
    out += [
        f"{p.id}'s attack '{p.attack.name}' (a record holds one attack_type, '{written}')"
        for p in attackers
        if p.attack is not None and p.attack.name != written
    ]
    if fact is not None:
        out += [
            f"{p.id}'s wants {sorted(set(p.wants) - {fact.id})} (a record is about "
            f"'{fact.id}' only)"
            for p in ep.participants
            if set(p.wants) - {fact.id}
        ]
        out += [
            f"secret '{m.secret}' of '{fact.id}': its leaks_as and sensitivity (a record "
            "holds the markers only)"
            for m in fact.meanings
        ]
    return out


FAMILIES.register("access_control")(
    Family(
        "access_control",
        frozenset({"all_users", "authorized_users", "initial_messages", "expected_result"}),
        scenario,
        record,
        losses,
        label="access control",
    )
)
