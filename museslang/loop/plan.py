"""The experiment file of `museslang loop`: TOML, read with the standard library's tomllib.

Why TOML and not an `experiment` declaration in a `.muses` spec: an experiment names
things that are not the scenario — model folders, output folders, learning rates — and
changes far more often than the spec it trains on. Kept out of the language, a spec's
hash (which every run and dataset records) does not move when a learning rate does, the
grammar stays as it is, and the same spec serves many experiments. TOML needs no new
dependency (tomllib is in Python 3.11), has comments, and reads like the `--names` file of
`museslang table`. To move an experiment to a GPU machine with a bigger model, change
its `base` line.

Every problem is one line `FILE:LINE: error: ...` (the line of the key at fault where
the file has it), so a bad file never gives a traceback. Checked here, before anything
runs: unknown keys (with a did-you-mean), types, files that do not exist, and that no
seed of a spec is both a training seed and a held-out seed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museslang.diagnostics import did_you_mean
from museslang.run.error_limit import error_limit

TOOL_MODES = ("text", "tools")
BACKENDS = ("vllm", "hf")
RECIPES = ("sft", "rft")
MODEL_AGENTS = ("base", "trained")  # the two agents the loop itself defines


class PlanError(ValueError):
    """A bad experiment file: `str()` is the whole diagnostic."""


@dataclass(frozen=True)
class SpecSeeds:
    file: Path
    seeds: tuple[int, ...]
    n: int | None = None  # episodes per seed (generate --n / eval --sample)
    max_tokens: int | None = None  # eval only: the reply limit for this spec


@dataclass(frozen=True)
class Recipe:
    kind: str = "sft"
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: str | tuple[str, ...] = "all-linear"
    epochs: float = 1.0
    steps: int = -1  # > 0 overrides epochs
    learning_rate: float = 2e-4
    batch_size: int = 1
    max_length: int = 2048
    assistant_only: bool = True
    seed: int = 0
    # rejection-sampling fine-tuning (kind = "rft"): after the SFT round, each round plays
    # the training episodes with the current adapter, keeps the plays scored perfect and
    # trains again from the base on the teacher's examples and every kept play
    rft_rounds: int = 1
    rft_temperature: float = 0.7
    rft_n: int | None = None  # episodes per spec and seed to sample (default: the spec's n)


@dataclass(frozen=True)
class EvalSettings:
    agents: tuple[str, ...] = ("base", "trained")
    trials: int = 1
    temperature: float = 0.0
    max_tokens: int = 256
    kv_cache_space: float | None = None
    threads: int | None = None
    max_model_len: int | None = None
    # errored results that fail an evaluation stage (`eval --fail-on-error`): a stage that
    # failed is not marked finished, and the rerun plays its errored episodes again
    fail_on_error: str = "any"


@dataclass(frozen=True)
class Plan:
    path: Path
    out: Path
    base: str
    backend: str
    tool_mode: str
    teachers: tuple[str, ...]
    train_specs: tuple[SpecSeeds, ...]
    eval_specs: tuple[SpecSeeds, ...]
    recipe: Recipe
    evaluation: EvalSettings
    val: float = 0.1
    max_users: int | None = None
    per_family: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def held_out_specs(self) -> list[Path]:
        """Evaluation specs no training example comes from."""
        trained = {s.file for s in self.train_specs}
        return [s.file for s in self.eval_specs if s.file not in trained]

    def agent(self, label: str) -> str:
        """The agent spec `museslang eval` gets for one of the plan's agents."""
        return f"{self.backend}:{self.base}" if label in MODEL_AGENTS else label


# --- reading ---------------------------------------------------------------------------

_TOP = {"out", "base", "backend", "tool_mode", "data", "recipe", "eval"}
_DATA = {"teachers", "val", "max_users", "per_family", "specs"}
_SPEC_TRAIN = {"file", "seeds", "n"}
_SPEC_EVAL = {"file", "seeds", "sample", "max_tokens"}
_RECIPE = {f for f in Recipe.__dataclass_fields__}
_EVAL = {f for f in EvalSettings.__dataclass_fields__} | {"specs"}


def _header(line: str) -> str | None:
    m = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.\s]+?)\s*\]\]?\s*(#.*)?$", line)
    return m.group(1).replace(" ", "") if m else None


def line_of(text: str, table: str, index: int | None, key: str | None) -> int | None:
    """The line (1-based) of `key` in `[table]` (the `index`-th `[[table]]`; "" is the
    top level), or of the table's header when `key` is None; None where the file does not
    say it."""
    lines = text.splitlines()
    start, seen = (-1 if table == "" else None), -1
    for i, line in enumerate(lines):
        if table and _header(line) == table:
            seen += 1
            if index is None or seen == index:
                start = i
                break
    if start is None or (key is None and start < 0):
        return None
    if key is None:
        return start + 1
    pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for i in range(start + 1, len(lines)):
        if _header(lines[i]) is not None:
            break
        if pattern.match(lines[i]):
            return i + 1
    return None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(
        self,
        message: str,
        table: str = "",
        index: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> PlanError:
        line = line_of(self.text, table, index, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        shown = ""
        if line:
            shown = f"\n  {line} | {self.text.splitlines()[line - 1].rstrip()}"
        return PlanError(
            f"{where}: error: {message}{shown}" + (f"\n  = hint: {hint}" if hint else "")
        )

    def keys(self, data: dict, allowed: set[str], table: str, index: int | None = None) -> None:
        for key in data:
            if key not in allowed:
                near = did_you_mean(key, allowed)
                raise self.fail(
                    f"unknown key '{key}'" + (f" in [{table}]" if table else ""),
                    table,
                    index,
                    key,
                    near or "known: " + ", ".join(sorted(allowed)),
                )

    def get(
        self,
        data: dict,
        key: str,
        kind: type | tuple[type, ...],
        table: str,
        index: int | None = None,
        default: Any = ...,
        name: str = "",
    ) -> Any:
        if key not in data:
            if default is ...:
                where = f"[{table}]" if table else "the file"
                raise self.fail(f"{where} needs '{key}'", table, index, None)
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
        if not ok:
            want = name or " or ".join(k.__name__ for k in kinds)
            raise self.fail(f"'{key}' should be {want}, not {value!r}", table, index, key)
        return value

    def choice(self, value: str, choices: tuple[str, ...], key: str, table: str = "") -> str:
        if value not in choices:
            near = did_you_mean(value, choices)
            raise self.fail(
                f"'{key}' is '{value}'; it must be one of {', '.join(choices)}",
                table,
                None,
                key,
                near,
            )
        return value

    def positive(
        self, value: Any, key: str, table: str, index: int | None = None, zero: bool = False
    ) -> Any:
        if value is not None and (value < 0 or (value == 0 and not zero)):
            raise self.fail(
                f"'{key}' must be {'at least 0' if zero else 'positive'}", table, index, key
            )
        return value

    def specs(self, data: dict, table: str, allowed: set[str]) -> tuple[SpecSeeds, ...]:
        items = data.get("specs")
        if not isinstance(items, list) or not items or not all(isinstance(x, dict) for x in items):
            raise self.fail(
                f"[{table}] needs at least one [[{table}.specs]] table (file = ..., seeds = [...])",
                table,
                None,
                "specs" if "specs" in data else None,
            )
        out = []
        name = f"{table}.specs"
        for i, item in enumerate(items):
            self.keys(item, allowed, name, i)
            file = self.get(item, "file", str, name, i)
            path = (self.path.parent / file).resolve()
            if not path.is_file():
                raise self.fail(
                    f"no spec file at {file} (read from {self.path.parent})", name, i, "file"
                )
            seeds = self.get(item, "seeds", list, name, i, name="a list of whole numbers")
            if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
                raise self.fail(
                    "'seeds' should be a non-empty list of whole numbers", name, i, "seeds"
                )
            if len(set(seeds)) != len(seeds):
                raise self.fail("'seeds' lists a seed twice", name, i, "seeds")
            n = self.positive(
                self.get(item, "n" if "n" in allowed else "sample", int, name, i, None),
                "n" if "n" in allowed else "sample",
                name,
                i,
            )
            max_tokens = None
            if "max_tokens" in allowed:
                max_tokens = self.positive(
                    self.get(item, "max_tokens", int, name, i, None), "max_tokens", name, i
                )
            out.append(SpecSeeds(path, tuple(seeds), n, max_tokens))
        return tuple(out)


def read_plan(path: Path) -> Plan:
    """The experiment in `path`, checked; a `PlanError` names what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: error: cannot read the experiment file ({exc})") from None
    r = _Reader(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise PlanError(f"{where}: error: not valid TOML: {what}") from None
    r.keys(data, _TOP, "")
    out = (path.parent / r.get(data, "out", str, "")).resolve()
    base = r.get(data, "base", str, "")
    if base.startswith("~"):  # a local folder: as the shell would read it
        base = str(Path(base).expanduser())
    elif base.startswith("."):  # relative to the experiment file, as every path in it
        base = str((path.parent / base).resolve())
    backend = r.choice(r.get(data, "backend", str, "", None, "vllm"), BACKENDS, "backend")
    tool_mode = r.choice(r.get(data, "tool_mode", str, "", None, "text"), TOOL_MODES, "tool_mode")
    if not isinstance(data.get("data"), dict):
        raise r.fail("the file needs a [data] table (teachers, specs)", "", None, None)
    d = data["data"]
    r.keys(d, _DATA, "data")
    teachers = r.get(d, "teachers", list, "data", None, ["reference:oracle"], "a list of agents")
    if not teachers or not all(isinstance(t, str) and t for t in teachers):
        raise r.fail(
            "'teachers' should be a non-empty list of agent specs", "data", None, "teachers"
        )
    val = r.get(d, "val", float, "data", None, 0.1)
    if not 0 <= val < 1:
        raise r.fail("'val' must be at least 0 and below 1", "data", None, "val")
    max_users = r.positive(r.get(d, "max_users", int, "data", None, None), "max_users", "data")
    per_family = r.positive(r.get(d, "per_family", int, "data", None, None), "per_family", "data")
    train_specs = r.specs(d, "data", _SPEC_TRAIN)

    rec = data.get("recipe", {})
    if not isinstance(rec, dict):
        raise r.fail("'recipe' should be a table", "", None, "recipe")
    r.keys(rec, _RECIPE, "recipe")
    defaults = Recipe()
    values: dict[str, Any] = {}
    for name, default in defaults.__dict__.items():
        if name == "rft_n":
            values[name] = r.positive(r.get(rec, name, int, "recipe", None, None), name, "recipe")
            continue
        if name == "lora_targets":
            value = r.get(rec, name, (str, list), "recipe", None, default, "text or a list")
            values[name] = tuple(value) if isinstance(value, list) else value
            continue
        kind = type(default)
        values[name] = r.get(rec, name, kind, "recipe", None, default)
    recipe = Recipe(**values)
    r.positive(recipe.rft_temperature, "rft_temperature", "recipe", zero=True)
    r.choice(recipe.kind, RECIPES, "kind", "recipe")
    for name in (
        "lora_r",
        "lora_alpha",
        "learning_rate",
        "batch_size",
        "max_length",
        "epochs",
        "rft_rounds",
    ):
        r.positive(getattr(recipe, name), name, "recipe")
    if not 0 <= recipe.lora_dropout < 1:
        raise r.fail(
            "'lora_dropout' must be at least 0 and below 1", "recipe", None, "lora_dropout"
        )

    ev = data.get("eval")
    if not isinstance(ev, dict):
        raise r.fail("the file needs an [eval] table (agents, specs)", "", None, None)
    r.keys(ev, _EVAL, "eval")
    agents = r.get(ev, "agents", list, "eval", None, ["base", "trained"], "a list of agents")
    if not agents or not all(isinstance(a, str) for a in agents) or len(set(agents)) != len(agents):
        raise r.fail(
            "'agents' should be a non-empty list of distinct agents", "eval", None, "agents"
        )
    for a in agents:
        if a not in MODEL_AGENTS and ":" not in a:
            raise r.fail(
                f"unknown agent '{a}'",
                "eval",
                None,
                "agents",
                "base, trained, or an agent spec such as reference:oracle",
            )
    evaluation = EvalSettings(
        agents=tuple(agents),
        trials=r.positive(r.get(ev, "trials", int, "eval", None, 1), "trials", "eval"),
        temperature=r.positive(
            r.get(ev, "temperature", float, "eval", None, 0.0), "temperature", "eval", zero=True
        ),
        max_tokens=r.positive(
            r.get(ev, "max_tokens", int, "eval", None, 256), "max_tokens", "eval"
        ),
        kv_cache_space=r.positive(
            r.get(ev, "kv_cache_space", float, "eval", None, None), "kv_cache_space", "eval"
        ),
        threads=r.positive(r.get(ev, "threads", int, "eval", None, None), "threads", "eval"),
        max_model_len=r.positive(
            r.get(ev, "max_model_len", int, "eval", None, None), "max_model_len", "eval"
        ),
        fail_on_error=_error_rule(r, ev),
    )
    eval_specs = r.specs(ev, "eval", _SPEC_EVAL)
    _disjoint(r, train_specs, eval_specs)
    return Plan(
        path,
        out,
        base,
        backend,
        tool_mode,
        tuple(teachers),
        train_specs,
        eval_specs,
        recipe,
        evaluation,
        val,
        max_users,
        per_family,
    )


def _disjoint(r: _Reader, train: tuple[SpecSeeds, ...], held: tuple[SpecSeeds, ...]) -> None:
    """No held-out episode may come from a (spec, seed) the training data was drawn from:
    the same spec compiled with the same seed gives the same episodes."""
    for i, ev in enumerate(held):
        for tr in train:
            if tr.file != ev.file:
                continue
            both = sorted(set(tr.seeds) & set(ev.seeds))
            if both:
                raise r.fail(
                    f"seed{'s' if len(both) > 1 else ''} {', '.join(map(str, both))} of "
                    f"{ev.file.name} {'are' if len(both) > 1 else 'is'} both a training seed "
                    "and a held-out seed: held-out episodes must be unseen",
                    "eval.specs",
                    i,
                    "seeds",
                    "give the evaluation other seeds",
                )


def _error_rule(r: _Reader, ev: dict) -> str:
    value = r.get(ev, "fail_on_error", (str, int, float), "eval", None, "any")
    text = str(value)
    try:
        error_limit(text)
    except ValueError as exc:
        hint = 'any (the default), never, a count (3) or a share ("10%", 0.1)'
        raise r.fail(f"fail_on_error {exc}", "eval", None, "fail_on_error", hint) from None
    return text
