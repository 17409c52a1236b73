"""Templates from specs render in a sandbox: escapes and unbounded renders are diagnostics."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app
from museslang.prompts import MAX_STEPS, PromptError, render

runner = CliRunner()
LONG = "x" * 100

ATTEMPTS = {
    "python internals": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "the template's context": "{{ self._TemplateReference__context }}",
    "a function's globals": "{{ cycler.__init__.__globals__ }}",
    "reading a file by include": "{% include '/etc/passwd' %}",
    "reading a file by open": "{{ open('/etc/passwd').read() }}",
    "a huge string": "{{ 'x' * 1000000000 }}",
    "a huge list": "{{ ([1] * 1000000000) | length }}",
    "a huge power": "{{ 10 ** 10 ** 10 ** 10 ** 10 }}",
    "padding a string": "{{ 'x'.ljust(1000000000) }}",
    "a padding filter": "{{ 'x' | center(1000000000) }}",
    "a format width": "{{ '%*s' | format(1000000000, 'x') }}",
    "nested loops that print nothing": "{% for a in s %}{% for b in s %}{% for c in s %}"
    "{% for d in s %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "endless recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    # each of these builds gigabytes in one step, so no step budget can stop it: every
    # operation is bounded by the size of what it would produce
    "a % format width": '{{ "%999999999d" % 1 }}',
    "a % format precision": "{{ '%.999999999f' % 1.0 }}",
    "a % width from the arguments": '{{ "%*d" % (999999999, 1) }}',
    "a str.format width": '{{ "{:999999999}".format(1) }}',
    "a nested str.format width": '{{ "{:{}}".format(1, 999999999) }}',
    "replace, the method": '{{ ("x" * 2000000).replace("x", "x" * 2000000) }}',
    "replace, the filter": '{{ ("x" * 2000000) | replace("x", "x" * 2000000) }}',
    "join, the filter": '{{ ["x" * 1500000, "y" * 1500000] | join }}',
    "join, the method": '{{ "-".join(["x" * 1500000, "y" * 1500000]) }}',
    "expandtabs": '{{ ("\t" * 2000000).expandtabs(1000) }}',
    "batch with a fill": '{{ [1] | batch(100000000, "x") | list }}',
    "slice": "{{ [1, 2] | slice(100000000) | list }}",
    "tojson with a huge indent": "{{ [1, 2] | tojson(indent=999999999) }}",
    "a power squared again and again": "{% macro sq(x, n) %}{% if n > 0 %}{{ sq(x * x, n - 1) }}"
    "{% else %}{{ x }}{% endif %}{% endmacro %}{{ sq(10 ** 64, 26) }}",
    "a string doubled by a macro": "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}"
    "{% else %}{{ s | length }}{% endif %}{% endmacro %}{{ d('x', 40) }}",
    "strings doubled by +": "{% macro d(s, n) %}{% if n > 0 %}{{ d(s + s, n - 1) }}"
    "{% else %}{{ s | length }}{% endif %}{% endmacro %}{{ d('x', 40) }}",
    "an unsafe attribute through map": "{{ users | map(attribute='__class__') | join }}",
    "an unsafe attribute into a list": "{{ users | map(attribute='__class__') | list }}",
}


@pytest.mark.parametrize("text", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_an_attempt_is_a_prompt_error_not_an_escape_or_a_hang(text: str) -> None:
    tracer, t0 = sys.gettrace(), time.perf_counter()
    with pytest.raises(PromptError):
        render(text, {"s": LONG, "users": [{"id": "Ana"}]})
    assert time.perf_counter() - t0 < 5
    assert sys.gettrace() is tracer  # the step budget put back whatever was tracing


def test_ordinary_loops_and_data_still_render() -> None:
    text = (
        "{% for u in users %}{{ u.name }} ({{ u.role | upper }})"
        "{% if not loop.last %}, {% endif %}{% endfor %}"
    )
    users = [{"name": "Ana", "role": "lead"}, {"name": "Ben", "role": "intern"}]
    assert render(text, {"users": users}) == "Ana (LEAD), Ben (INTERN)"
    assert render("{{ '-' * 20 }} {{ 2 ** 10 }}", {}) == "-" * 20 + " 1024"
    # the bounded operations still do their ordinary work
    ordinary = (
        "{{ 'ab' ~ 'cd' }} {{ '%5d' % 3 }} {{ '{:>4}|{:.1f}'.format(1, 2.5) }} "
        "{{ 'a-b'.replace('-', '+') }} {{ ['a', 'b'] | join(',') }} {{ 'x' + 'y' }} "
        "{{ [1, 2, 3] | batch(2) | list }} {{ {'k': 1} | tojson(indent=2) | length }}"
    )
    assert render(ordinary, {}) == "abcd     3    1|2.5 a+b a,b xy [[1, 2], [3]] 12"
    assert MAX_STEPS >= 1_000_000


def test_an_unsafe_template_is_a_diagnostic_at_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "m.muses"
    text = Path("specs/meeting.muses").read_text(encoding="utf-8")
    spec.write_text(text.replace('"prompts/meeting.j2"', '"evil.j2"'), encoding="utf-8")
    (tmp_path / "evil.j2").write_text(
        "You schedule meetings.\n{{ ''.__class__.__mro__ }}\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["check", str(spec)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'evil.j2'}:2:1: error[E050]: episode ")
    assert "unsafe template operation: access to attribute '__class__'" in first
    assert "2 | {{ ''.__class__.__mro__ }}" in result.output
    assert "template used here" in result.output
