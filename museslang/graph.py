"""`museslang graph`: one compiled episode as Mermaid or Graphviz DOT text.

Two pictures of an episode. The *episode graph* is its protocol: states, who
acts in each (users, the agent, or an ending) and the transitions between
them. The *permission graph* is who may read what: users point at the
resources they may read, and denied edges (dashed) are drawn too, because
they are what attacks aim at; an attacker's denied edges are labelled with the
attack. Queue episodes add each user's orders, their worker and the orders
they conflict with. Both are built as one small graph model and then written
in either syntax, so the two formats always show the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from museslang.ir.models import EpisodeGraph

FORMATS = ("mermaid", "dot")


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # users | agent | end | user | fact | order


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Graph:
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def _key(prefix: str, name: str) -> str:
    """A node id both syntaxes accept: letters, digits and underscores."""
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def episode_graph(episode: EpisodeGraph) -> Graph:
    proto = episode.protocol
    g = Graph(f"episode {episode.id}: {proto.turns}, at most {proto.max_turns} agent turns")
    for s in proto.states:
        g.nodes.append(Node(_key("s", s.id), f"{s.id} ({s.actor}): {s.description}", s.actor))
    for t in proto.transitions:
        g.edges.append(Edge(_key("s", t.source), _key("s", t.target), t.on))
    return g


def permission_graph(episode: EpisodeGraph) -> Graph:
    g = Graph(f"permissions {episode.id}")
    for p in episode.participants:
        rank = f", authority {p.authority}" if p.authority is not None else ""
        role = f" ({p.role}{rank})" if p.role else (f" (authority {p.authority})" if rank else "")
        attack = f" attacker: {p.attack.name}" if p.attack and p.attack.moves else ""
        g.nodes.append(Node(_key("u", p.id), f"{p.id}{role}{attack}", "user"))
    attackers = {p.id: p.attack.name for p in episode.participants if p.attack and p.attack.moves}
    for f in episode.facts:
        guarded = " (secret)" if f.secrets else ""
        capacity = f" capacity {f.capacity}" if f.capacity is not None else ""
        g.nodes.append(Node(_key("f", f.id), f"{f.title}{guarded}{capacity}", "fact"))
        if not f.secrets:
            continue  # a shared worker or public document: anyone may use it
        for user in f.readers:
            g.edges.append(Edge(_key("u", user), _key("f", f.id), "may read"))
        for user in f.denied:
            label = f"denied; {attackers[user]} attack" if user in attackers else "denied"
            g.edges.append(Edge(_key("u", user), _key("f", f.id), label, dashed=True))
    for o in episode.orders:
        tag = f" [ref: {o.ref}]" if o.ref else ""
        flags = " harmful" if o.harmful else ""
        g.nodes.append(Node(_key("o", o.id), f"{o.id}{tag}{flags}", "order"))
        g.edges.append(Edge(_key("u", o.by), _key("o", o.id), "orders"))
        if o.target:
            g.edges.append(Edge(_key("o", o.id), _key("f", o.target), "runs on"))
        for other in o.conflicts:
            g.edges.append(Edge(_key("o", o.id), _key("o", other), "conflicts", dashed=True))
    return g


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


_MERMAID_SHAPE = {"users": '(["{}"])', "agent": '["{}"]', "end": '(("{}"))',
                  "user": '(["{}"])', "fact": '[("{}")]', "order": '>"{}"]'}  # fmt: skip


def to_mermaid(graphs: list[Graph]) -> str:
    lines = ["flowchart LR"]
    for i, g in enumerate(graphs):
        lines.append(f'  subgraph g{i}["{_mermaid_text(g.title)}"]')
        for n in g.nodes:
            lines.append(f"    {n.id}{_MERMAID_SHAPE[n.kind].format(_mermaid_text(n.label))}")
        for e in g.edges:
            arrow = "-.->" if e.dashed else "-->"
            label = f'|"{_mermaid_text(e.label)}"|' if e.label else ""
            lines.append(f"    {e.source} {arrow}{label} {e.target}")
        lines.append("  end")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_DOT_SHAPE = {"users": "box, style=rounded", "agent": "box", "end": "box, peripheries=2",
              "user": "ellipse", "fact": "cylinder", "order": "note"}  # fmt: skip


def to_dot(graphs: list[Graph]) -> str:
    lines = ["digraph museslang {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    for i, g in enumerate(graphs):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={_dot_text(g.title)};")
        for n in g.nodes:
            lines.append(f"    {n.id} [label={_dot_text(n.label)}, shape={_DOT_SHAPE[n.kind]}];")
        for e in g.edges:
            attrs = [f"label={_dot_text(e.label)}"] if e.label else []
            if e.dashed:
                attrs.append("style=dashed")
            lines.append(
                f"    {e.source} -> {e.target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";"
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDER = {"mermaid": to_mermaid, "dot": to_dot}


def render_graphs(episode: EpisodeGraph, fmt: str) -> str:
    return RENDER[fmt]([episode_graph(episode), permission_graph(episode)])
