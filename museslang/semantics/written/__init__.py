"""The checker of families written in museslang, a pass of the semantic check: the
declaration itself (`check`: its facts, actions, goals, metrics, plays, E0xx), the facts
its scenarios give (`scenario`), the bounds on its expressions (`bounds`), and the recheck
of a family read back from a compiled file (`verify`). Checking builds the
`ir.AuthoredFamily`; it installs nothing.
"""
