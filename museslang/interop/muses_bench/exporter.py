"""Compiled episodes -> official records, one per episode, in its family's layout."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from museslang.interop.muses_bench.common import FAMILIES
from museslang.ir.models import EpisodeGraph


def export_records(episodes: Iterable[EpisodeGraph]) -> list[dict[str, Any]]:
    return [FAMILIES.get(e.family).record(e) for e in episodes]


def to_jsonl(records: Iterable[dict[str, Any]]) -> str:
    """One record per line, as the official files are written (non-ASCII kept)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
