"""Scenario families: what a `family:` name means, owned by the family.

A family is a kind of multi-user task (booking a meeting, guarding documents, ...). The
core (compiler, engine, CLI, gate, generation, reports) only ever asks a `Family` what
it needs to know: which declarations and fields its scenarios read, which metrics it
scores and which one is success, which actions the agent gets, which sweep axes apply.
Behaviour (ground truth, scoring, interop) plugs into the registries of the stage it
belongs to, from modules the family lists in `hooks`; they are imported only when a stage
needs them, so declaring a family stays cheap and cycle-free. What the `Family` carries as
values (its truth parts, reference players and scripted users) comes with the declaration.

Families come from two places: the packages in this folder, found by listing it (the core
names none of them), and installed distributions that expose a `Family` under the
entry-point group `museslang.families`. This folder is the plug-ins' floor, the top of the
house but the API and the edges: the contract (`Family`, discovery, lookups) is
`museslang.family`, at the bottom, and this `__init__.py` imports nothing.
"""
