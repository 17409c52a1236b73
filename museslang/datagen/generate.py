"""`museslang generate`: teacher-played episodes, rejection-sampled, written as SFT data.

Episodes run like an eval (the same runner, concurrency, progress and resumable run
directory, under `OUT/episodes/`), with the teacher guided by the ground truth and the
agent's chat recorded. An episode is kept only when it passes its family's
success-type metric (1.0: what the family counts as a passed episode) and when the
assistant acted only on what the conversation had revealed (`revealed.py`: a teacher
that books a slot nobody named scores perfectly and teaches guessing); duplicates of a
kept conversation are dropped; the rest is split into train and validation by a hash
of the episode id.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from museslang.datagen.revealed import unrevealed
from museslang.datagen.sft import conversation_key, is_validation, record
from museslang.files import write_atomic
from museslang.ir.models import EpisodeGraph
from museslang.ir.results import EpisodeResult
from museslang.lower.seeds import draw
from museslang.metrics.scoring import success
from museslang.registry import Registry
from museslang.runtime.trials import for_trial

TRAIN, VAL, STATS = "train.jsonl", "val.jsonl", "generate.json"
META = "metadata.jsonl"  # --format muses-bench: each line's metadata, beside the data
FORMATS = ("chat", "muses-bench")

# family -> its metrics that count problems in a conversation (an empty turn, a message to
# nobody there, ...): `generate.json` adds them up over every played episode, so what
# the quality filter dropped, and why, is always written down
COUNTED: Registry[tuple[str, ...]] = Registry("counted problems")


def choose(episodes: list[EpisodeGraph], n: int | None, seed: int) -> list[EpisodeGraph]:
    """`n` episodes drawn by a seeded hash (all when n is None), in compiled order."""
    return draw(episodes, n, seed, key=lambda e: e.id)


@dataclass
class Written:
    total: int = 0
    errored: int = 0
    kept: int = 0
    unrevealed: int = 0
    duplicates: int = 0
    textless: int = 0  # --format muses-bench: the agent wrote no text to learn from
    train: int = 0
    val: int = 0
    by_family: dict[str, dict[str, int]] = field(default_factory=dict)
    # family -> counted problem -> its total and the conversations it was found in
    counted: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.kept / self.total if self.total else 0.0


def write_dataset(
    results: list[EpisodeResult],
    episodes: dict[str, EpisodeGraph],
    out: Path,
    *,
    spec_sha256: str,
    teacher: str,
    val_share: float,
    teachers: dict[str, str] | None = None,
    form: str = "chat",
) -> Written:
    """`teachers`: episode id -> the teacher that played it, when several took turns;
    `form`: chat (museslang's chat+tools records) or muses-bench (the official format)."""
    from museslang import family as families_of
    from museslang.datagen import muses_bench_format

    families_of.load()
    stats = Written()
    seen: set[str] = set()
    lines: dict[str, list[str]] = {TRAIN: [], VAL: []}
    families: dict[str, Counter[str]] = {}
    counted: dict[str, dict[str, dict[str, float]]] = {}
    meta: list[str] = []
    for result in results:
        count = families.setdefault(result.family, Counter())
        stats.total += 1
        count["total"] += 1
        if result.status != "ok" or not result.conversation:
            stats.errored += 1
            continue
        episode = for_trial(episodes[result.id], result.trial)
        for metric in COUNTED.get(result.family) if result.family in COUNTED else ():
            value = result.metrics.get(metric)
            if isinstance(value, int | float) and value > 0:
                seen_in = counted.setdefault(result.family, {}).setdefault(
                    metric, {"total": 0, "conversations": 0}
                )
                seen_in["total"] += value
                seen_in["conversations"] += 1
        judged = success(episode, result)
        if judged is None or judged[1] != 1.0:
            continue
        if unrevealed(episode, result):
            stats.unrevealed += 1
            count["unrevealed"] += 1
            continue
        played_by = (teachers or {}).get(result.id, teacher)
        line = record(result, spec_sha256=spec_sha256, teacher=played_by)
        if form == "muses-bench":
            data = muses_bench_format.record(episode, result)
            if not muses_bench_format.trains(data):
                stats.textless += 1
                count["textless"] += 1
                continue
            line = {**data, "metadata": line["metadata"]}
        key = conversation_key(line)
        if key in seen:
            stats.duplicates += 1
            continue
        seen.add(key)
        stats.kept += 1
        count["kept"] += 1
        name = VAL if is_validation(result.id, val_share) else TRAIN
        if form == "muses-bench":  # the official train.py reads `messages` and nothing else
            meta.append(json.dumps({"split": name, **line.pop("metadata")}, sort_keys=True))
        lines[name].append(json.dumps(line, ensure_ascii=False, sort_keys=True))
    for name, rows in lines.items():
        write_atomic(out / name, "".join(r + "\n" for r in rows))
    if form == "muses-bench":
        write_atomic(out / META, "".join(r + "\n" for r in meta))
    stats.train, stats.val = len(lines[TRAIN]), len(lines[VAL])
    stats.by_family = {f: dict(c) for f, c in families.items()}
    stats.counted = counted
    summary = {
        "spec_sha256": spec_sha256,
        "teacher": teacher,
        "episodes": stats.total,
        "errored": stats.errored,
        "kept": stats.kept,
        "kept_ratio": round(stats.ratio, 6),
        "duplicates_dropped": stats.duplicates,
        "unrevealed_dropped": stats.unrevealed,
        "textless_dropped": stats.textless,
        "train": stats.train,
        "val": stats.val,
        "by_family": stats.by_family,
        "format": form,
        "counted": counted,
        "teachers": dict(sorted(Counter((teachers or {}).values()).items())) if teachers else {},
    }
    write_atomic(out / STATS, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return stats
