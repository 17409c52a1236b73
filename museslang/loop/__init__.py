"""`museslang loop FILE`: the generate → train → evaluate loop as one declared experiment.

`plan` reads and checks the experiment file (TOML), `stages` runs its stages, each in a
folder keyed by a hash of its inputs so that a finished stage is skipped and a changed
input re-runs that stage and those after it, and `measure` turns the evaluation runs into
the before/after figures (the paper's table, success, parse failures and cut replies per
family, the training cost). The stages call the same functions as `museslang generate`,
`train`, `eval` and `table`: the loop is those commands in order, not a second copy.
"""
