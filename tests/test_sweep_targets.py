"""Distribution targets (`target NAME { holds: "..."  share: 25%..35% }` in a sweep): the
share of a scenario's episodes, as drawn, that hold a property, met at lowering by
visible, seeded redraws, or an error. The check-time diagnostics are golden
(tests/golden/diagnostics/e045_distribution_target)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from museslang.cli import app
from museslang.compiler import compile_path, to_json
from museslang.lower.seeds import derive_seed
from museslang.lower.targets import lines
from museslang.semantics.targets import counts
from tests.test_fmt import fmt_text

BUDGET = """\
import std.budget
import std.identity
import std.people
import std.org

scenario budget "Quarterly tooling budget" {{
  family: budget
  objective: "Fund the quarter's projects."
  template: xml
  population {{
    pool: office
    roles: [cto, director, manager, lead, engineer, intern]
  }}
  sweep {{
    users: 3..5
    samples: 4
    seed: 2026
{targets}
  }}
}}
"""
TIGHT = 'holds: "budget < 0.65 * sum(u in users: u.asks)"'


def _spec(tmp_path: Path, targets: str, folder: str = "targeted") -> Path:
    """The spec in a folder of its own: two specs compared episode by episode have one
    file name (each episode records it)."""
    (tmp_path / folder).mkdir(exist_ok=True)
    path = tmp_path / folder / "budget.muses"
    path.write_text(BUDGET.format(targets=targets), encoding="utf-8")
    return path


def _target(name: str, holds: str, share: str) -> str:
    return f'    target {name} "{name}" {{\n      {holds}\n      share: {share}\n    }}'


def _episodes(path: Path) -> list:
    result = compile_path(path)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.compiled is not None
    return result.compiled.episodes


def test_counts_are_the_whole_numbers_in_the_share() -> None:
    assert list(counts((0.3, 0.3), 10)) == [3]  # 30% of 10 is 3, not 3.0000000000000004
    assert list(counts((0.25, 0.35), 20)) == [5, 6, 7]
    assert list(counts((0.31, 0.32), 12)) == []


def test_a_target_already_met_changes_nothing_but_the_marks(tmp_path: Path) -> None:
    bare = _episodes(_spec(tmp_path, "", "bare"))
    marked = _episodes(_spec(tmp_path, _target("tight", TIGHT, "30%..60%")))
    assert [e.seed for e in marked] == [e.seed for e in bare]
    assert all(e.retargeted is None for e in marked)
    held = sum(e.targets["tight"].holds for e in marked)
    assert held == 5 and marked[0].targets["tight"].share == (0.3, 0.6)
    # the episodes are the same draws: only the marks were added
    strip = [e.model_dump(exclude={"targets"}) for e in marked]
    assert strip == [e.model_dump(exclude={"targets"}) for e in bare]


def test_a_target_below_its_share_draws_again_visibly_and_reproducibly(tmp_path: Path) -> None:
    path = _spec(tmp_path, _target("tight", TIGHT, "70%..80%"))
    bare = {e.id: e for e in _episodes(_spec(tmp_path, "", "bare"))}
    episodes = _episodes(path)
    held = sum(e.targets["tight"].holds for e in episodes)
    assert held in counts((0.7, 0.8), 12)
    again = [e for e in episodes if e.retargeted is not None]
    assert again and held - len(again) == 5  # only episodes it did not hold on were drawn
    for e in again:
        planned = bare[e.id]
        assert not planned.targets and e.targets["tight"].holds
        assert e.retargeted.target == "tight" and e.retargeted.seed == planned.seed
        assert e.seed == derive_seed(planned.seed, "target", "tight", e.retargeted.tries)
    for e in episodes:
        if e.retargeted is None:  # every other episode is the sweep's own draw
            assert e.model_dump(exclude={"targets"}) == bare[e.id].model_dump(exclude={"targets"})
    assert lines(episodes) == [
        f"  budget: target tight {held}/12 episodes ({held / 12:.0%}), asked 70%..80%; "
        f"{len(again)} drawn again for it"
    ]
    assert to_json(compile_path(path).compiled) == to_json(compile_path(path).compiled)


def test_a_target_above_its_share_draws_the_other_way(tmp_path: Path) -> None:
    episodes = _episodes(_spec(tmp_path, _target("tight", TIGHT, "10%..20%")))
    held = sum(e.targets["tight"].holds for e in episodes)
    assert held == 2  # from 5 down to the nearest count in the share (2/12 = 17%)
    assert all(not e.targets["tight"].holds for e in episodes if e.retargeted is not None)


def test_two_targets_are_met_together(tmp_path: Path) -> None:
    big = 'holds: "len(users) >= 4 and sum(u in users: u.asks) > 150"'
    targets = _target("tight", TIGHT, "60%..75%") + "\n" + _target("big", big, "40%..50%")
    episodes = _episodes(_spec(tmp_path, targets))
    for name, share in (("tight", (0.6, 0.75)), ("big", (0.4, 0.5))):
        assert sum(e.targets[name].holds for e in episodes) in counts(share, 12)


def test_a_target_no_draw_can_meet_is_an_error_at_its_share(tmp_path: Path) -> None:
    path = _spec(tmp_path, _target("never", 'holds: "len(users) > 50"', "10%..20%"))
    result = compile_path(path)
    assert not result.ok and result.compiled is None
    (d,) = [d for d in result.diagnostics if d.code == "E045"]
    assert "0 of 12 episodes (0%) hold it" in d.message and "asks 10%..20%" in d.message
    assert d.span.line == 20 and d.hint is not None


def _ward(tmp_path: Path, sweep: str) -> Path:
    from tests.test_sweep_mixtures import HEAD

    path = tmp_path / "ward.muses"
    path.write_text(HEAD.replace("import std.attacks\n", "") + sweep + "\n  }\n}\n", "utf-8")
    return path


CROWD = "holds: \"count(u in users where u.role == 'Visiting relative') >= 2\""


def test_a_python_familys_target_reads_the_users_roles(tmp_path: Path) -> None:
    sweep = "  sweep {\n    users: [4]\n    samples: 10\n" + _target("crowd", CROWD, "50%..60%")
    episodes = _episodes(_ward(tmp_path, sweep))
    relatives = [sum(p.role == "Visiting relative" for p in e.participants) >= 2
                 for e in episodes]  # fmt: skip
    assert relatives == [e.targets["crowd"].holds for e in episodes]
    assert sum(relatives) in counts((0.5, 0.6), 10)


def test_a_variant_is_drawn_again_with_its_episode(tmp_path: Path) -> None:
    sweep = "  sweep {\n    users: [4]\n    samples: 10\n    variants: [reorder]\n"
    episodes = _episodes(_ward(tmp_path, sweep + _target("crowd", CROWD, "80%..90%")))
    originals = [e for e in episodes if e.base is None]
    assert len(originals) == 10 and len(episodes) == 20
    assert any(e.retargeted is not None for e in originals)
    by_id = {e.id: e for e in episodes}
    for v in (e for e in episodes if e.base is not None):
        base = by_id[v.base]
        assert v.seed == base.seed and v.retargeted == base.retargeted
        assert v.targets == base.targets
        assert sorted(p.id for p in v.participants) == sorted(p.id for p in base.participants)
    assert "target crowd" in lines(episodes)[0] and "/10 episodes" in lines(episodes)[0]


def test_check_and_compile_print_the_share_reached(tmp_path: Path) -> None:
    path = _spec(tmp_path, _target("tight", TIGHT, "70%..80%"))
    out = tmp_path / "c.json"
    runner = CliRunner()
    compiled = runner.invoke(app, ["compile", str(path), "-o", str(out)])
    assert compiled.exit_code == 0, compiled.output
    assert "budget: target tight 9/12 episodes (75%), asked 70%..80%" in compiled.output
    episodes = json.loads(out.read_text())["episodes"]
    assert all(e["targets"]["tight"]["share"] == [0.7, 0.8] for e in episodes)
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0 and "target tight 9/12" in checked.output


def test_fmt_round_trips_a_target(tmp_path: Path) -> None:
    text = BUDGET.format(targets=_target("tight", TIGHT, "70%..80%"))
    once = fmt_text(text)
    assert "target tight" in once and fmt_text(once) == once


def test_an_extending_scenario_overrides_a_target_by_name(tmp_path: Path) -> None:
    parent = _spec(tmp_path, _target("tight", TIGHT, "70%..80%"))
    child = parent.parent / "child.muses"
    child.write_text(
        'import "./budget.muses" as b\n\n'
        "scenario tighter extends b.budget {\n"
        "  sweep { target tight { share: 20%..30% } }\n}\n",
        encoding="utf-8",
    )
    episodes = _episodes(child)
    assert {e.targets["tight"].share for e in episodes} == {(0.2, 0.3)}
    assert sum(e.targets["tight"].holds for e in episodes) in counts((0.2, 0.3), 12)
