"""The expression language of families written in museslang (floor 3): parsing an
expression string into located nodes (`nodes`), its types (`types`), evaluating it over
an episode (`evaluate`, with `told`'s rule), folding constant parts (`constants`), and
pricing and sizing what it costs to run (`cost`, `search`). It knows nothing of
families' installation: the declaration checker (`semantics.written`) and the written
family's hooks build on it.
"""
