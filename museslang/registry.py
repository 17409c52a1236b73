"""One registry type for everything that plugs in by name.

Agents, simulated users and metrics are all looked up from strings the user
typed (`--agent openai:gpt-4o`, `metrics: [success]`), so a lookup failure must
be a helpful message, not a KeyError: `Registry.get` raises `UnknownName`
with the known names and a "did you mean" guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from museslang.diagnostics import did_you_mean

T = TypeVar("T")


class UnknownName(LookupError):
    """A name that is not registered; the message lists what is."""


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._items[name] = item
            return item

        return add

    def replace(self, name: str, item: T) -> T:
        """Register `item` under `name`, replacing what was there (a family written in
        museslang is registered again each time a spec that declares it is checked)."""
        self._items[name] = item
        return item

    def remove(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            hint = did_you_mean(name, self._items)
            known = ", ".join(sorted(self._items))
            guess = f"; {hint}" if hint else ""
            raise UnknownName(f"unknown {self.what} {name!r}{guess} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def names(self) -> list[str]:
        return list(self._items)
