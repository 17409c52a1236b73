"""museslang's own guards (museslang.runtime.guard says what a guard is): `acl`, compiled
from who may read what; `spotlight` and `policy`, prompt-side defences. The guards of one
family come with it (`Family.guards`): `authority` with the shared queue, `precedence`
with instruction following, and any a family written in museslang declares."""
