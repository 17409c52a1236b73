"""One conformance suite for every family: built in, a plug-in, or written in museslang.

Given a spec of the family, it checks what a benchmark's numbers rest on:

- compiles: the same spec compiles to byte-identical output twice;
- oracle: the reference oracle passes every episode (the oracle gate);
- refuse: `reference:refuse` does not pass every episode (success can be failed);
- metrics: every metric the episodes declare is scored on some episode;
- mutations: the mutation audit kills every damage it tries (none survives, none of the
  equivalent ones is failed);
- users: the simulated-user audit finds nothing in the oracle's episodes.

    python -m museslang.testing.conformance SPEC [--sample N]

prints one line per check and exits 1 when one fails; tests call `conform`. `sample`
plays that many episodes drawn across the sweep instead of all of them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from museslang import family as families
from museslang.audit import audit
from museslang.compiler import compile_path, to_json
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.lower.seeds import draw
from museslang.metrics.scoring import lookup, success


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def conform(spec: Path, sample: int | None = None) -> list[Check]:
    first, second = compile_path(spec), compile_path(spec)
    if first.compiled is None or second.compiled is None:
        errors = "; ".join(d.message for d in first.diagnostics.errors[:3])
        return [Check("compiles", False, f"the spec does not compile: {errors}")]
    same = to_json(first.compiled) == to_json(second.compiled)
    out = [Check("compiles", same, "byte-identical twice" if same else "two compiles differ")]
    compiled = first.compiled
    # a sample keeps each drawn episode's variants with it (priority stability compares them)
    originals = draw([e for e in compiled.episodes if e.base is None], sample, compiled.seed,
                     key=lambda e: e.id)  # fmt: skip
    chosen = {e.id for e in originals}
    episodes = [e for e in compiled.episodes if e.id in chosen or e.base in chosen]
    oracle = _play(episodes, "reference:oracle")
    failed = [e.id for e, r in zip(episodes, oracle, strict=True) if not _passes(e, r)]
    out.append(
        Check(
            "oracle",
            not failed,
            f"passes {len(episodes) - len(failed)} of "
            f"{len(episodes)} episodes" + (f" (not {failed[0]})" if failed else ""),
        )
    )
    out.append(_refuse(episodes))
    out.append(_metrics(episodes, oracle))
    scores = audit(zip(episodes, oracle, strict=True))
    bad = [
        t for s in scores.values() for t in s.tried if t.verdict in ("survived", "wrongly_killed")
    ]
    killed = sum(s.killed for s in scores.values())
    lines = "; ".join(s.line() for s in scores.values()) or "nothing to damage"
    example = f" (first: {bad[0].mutation.what} in {bad[0].episode.id})" if bad else ""
    out.append(Check("mutations", not bad and killed > 0, lines + example))
    findings = [(r.id, f) for r in oracle for f in r.findings]
    detail = (
        "no finding"
        if not findings
        else (
            f"{len(findings)} findings, first in {findings[0][0]}: {findings[0][1].check}: "
            f"{findings[0][1].detail}"
        )
    )
    out.append(Check("users", not findings, detail))
    return out


def _play(episodes: list[EpisodeGraph], agent: str) -> list[EpisodeResult]:
    import asyncio

    from museslang.run.runner import to_result
    from museslang.runtime.agents import make_agent
    from museslang.runtime.engine import Engine
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    options = BackendOptions()
    a, u = make_agent(agent, options), make_users("scripted", options)
    engine = Engine(a, u)

    async def go() -> list:
        return await asyncio.gather(*(engine.run(e) for e in episodes))

    runs = asyncio.run(go())
    return [to_result(e, r, agent, "scripted") for e, r in zip(episodes, runs, strict=True)]


def _passes(episode: EpisodeGraph, result: EpisodeResult) -> bool:
    judged = success(episode, result)
    return result.status == "ok" and (judged is None or judged[1] in (None, 1.0))


def _refuse(episodes: list[EpisodeGraph]) -> Check:
    if not all("refuse" in families.get(e.family).players for e in episodes):
        return Check("refuse", True, "the family has no reference:refuse (not checked)")
    played = _play(episodes, "reference:refuse")
    values = [
        j[1]
        for e, r in zip(episodes, played, strict=True)
        if (j := success(e, r)) is not None and isinstance(j[1], int | float)
    ]
    passed = sum(v >= 1.0 for v in values)
    ok = bool(values) and passed < len(values)
    return Check("refuse", ok, f"passes {passed} of {len(values)} scored episodes")


def _metrics(episodes: list[EpisodeGraph], oracle: list[EpisodeResult]) -> Check:
    from museslang.metrics.registry import CROSS_EPISODE
    from museslang.metrics.stability import stability

    declared = dict.fromkeys(m.name for e in episodes for m in e.metrics)
    unscored = [n for n in declared if n in CROSS_EPISODE and not stability(oracle)]
    for name in [n for n in declared if n not in CROSS_EPISODE]:
        found = lookup(episodes[0].family, name)
        outputs = found.outputs if found is not None else (name,)
        if not any(r.metrics.get(outputs[0]) is not None for r in oracle):
            unscored.append(name)
    detail = f"{len(declared) - len(unscored)} of {len(declared)} scored"
    return Check(
        "metrics", not unscored, detail + (f" ({', '.join(unscored)} never)" if unscored else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that a family conforms (one spec).")
    parser.add_argument("spec", type=Path)
    parser.add_argument("--sample", type=int, default=None, help="episodes drawn (default: all)")
    args = parser.parse_args(argv)
    checks = conform(args.spec, args.sample)
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
