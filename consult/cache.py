"""Bounded, thread-safe caches of one process (least recently used out first).

The reading view keeps what it rendered or loaded for the next request (rows of a
consultation's feedback, threads, section bodies, whole pages). Each worker process has
its own; what invalidates an entry is its key, which must name everything the value
depends on (see services.feedback_versions). ``flask run`` serves requests in threads
and gunicorn may too, so every operation holds a lock: a plain dict evicted with
``pop(next(iter(d)))`` raises KeyError or RuntimeError when two threads do it at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most ``max_items`` values, and, given ``weigh``, at most ``max_weight`` in total
    (e.g. characters of HTML); the least recently used go first. A value heavier than
    ``max_weight`` on its own is not kept."""

    def __init__(
        self,
        max_items: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        if (max_weight is None) != (weigh is None):
            raise ValueError("max_weight and weigh go together")
        self.max_items = max_items
        self.max_weight = max_weight
        self._weigh = weigh
        self._weight = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, dropping the least recently used beyond the bounds."""
        weight = self._weigh(value) if self._weigh is not None else 0
        if self.max_weight is not None and weight > self.max_weight:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._entries[key] = (value, weight)
            self._weight += weight
            while len(self._entries) > self.max_items or (
                self.max_weight is not None and self._weight > self.max_weight
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._weight -= dropped

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def weight(self) -> int:
        """The total weight of what is stored (0 without ``weigh``)."""
        with self._lock:
            return self._weight
