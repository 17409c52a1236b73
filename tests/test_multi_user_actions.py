"""An action with several user parameters (`swap { params: { a: user  b: user } }`):
`swap[u]` is its last accepted call naming u in any of them, for goals, metrics, `told`'s
rule about a user's own calls, and a play's `mine`."""

from __future__ import annotations

from pathlib import Path

from museslang.authored import outcome, plays
from museslang.compiler import compile_path
from museslang.ir.results import ActionRecord
from tests.conftest import result_with

SPEC = """\
family swaps "swap two colleagues' desks" {
  brief: "Swap desks so that each person who asked sits where they wanted."
  fact desk { type: text  draw: "pick(['north', 'south'])" }
  fact wants { type: text  draw: "pick(['north', 'south'])" }
  action swap "Swap the desks of two people." { params: { a: user  b: user } }
  action done "Close." { ends: true }
  goal moved {
    per: user
    where: "u.desk != u.wants"
    holds: "called(swap[u])"
    doc: "everyone who wants another desk is in a swap"
  }
  metric first_side { per: user  value: "swap[u].a == u" }
  success: [moved]
  play oracle {
    calls: [{ action: swap  each: "u in users where u.desk != u.wants"  a: "u"
                b: "argmax(v in users where v != u and v.desk == u.wants: 1)" }]
    tell: "{% if mine.swap %}{{ mine.swap.a.id }} and {{ mine.swap.b.id }} swap.{% endif %}"
  }
}

scenario office {
  family: swaps
  user Ana { facts: { desk: "north"  wants: "south" } }
  user Ben { facts: { desk: "south"  wants: "north" } }
  user Cy { facts: { desk: "north"  wants: "north" } }
}
"""


def test_an_action_with_two_user_parameters_is_indexed_by_either(tmp_path: Path) -> None:
    (tmp_path / "s.muses").write_text(SPEC, encoding="utf-8")
    result = compile_path(tmp_path / "s.muses")
    assert result.ok, [d.message for d in result.diagnostics]
    compiled = result.compiled
    assert compiled is not None
    (fam,) = compiled.families
    episode = compiled.episodes[0]
    swap = ActionRecord(turn=1, name="swap", args={"a": "Ana", "b": "Ben"})
    w = outcome.played(fam, episode, result_with(episode, swap))
    assert w.keys["swap"] == ("a", "b")
    got = outcome.scores(fam, w)
    assert got["moved"] == 1.0 and got["success"] == 1.0  # Ben is in it as `b`
    assert got["first_side"] == 1 / 3  # Ana is `a`; Ben is `b`; Cy is in no swap
    context = plays.context(fam, w, w.user("Ben"), [("swap", {"a": "Ana", "b": "Ben"})])
    assert context["mine"]["swap"]["a"]["id"] == "Ana"
    none = outcome.played(fam, episode, result_with(episode))
    assert outcome.scores(fam, none)["moved"] == 0.0
