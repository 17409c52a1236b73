"""This family's part of a compiled episode's ground truth (`truth.entitled`): resource
id -> the users its read rules entitle (the core computes it for any family whose specs
write read rules or secrets)."""

Entitled = dict[str, list[str]]
