"""consult.cache.LRUCache: bounded by count and weight, least recently used out first,
and safe when threads use it at once."""

from __future__ import annotations

import threading

import pytest

from consult.cache import LRUCache


def test_the_least_recently_used_goes_first() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    cache.put("a", 10)  # replacing keeps the count
    assert cache.get("a") == 10 and len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_the_weight_is_bounded_too() -> None:
    cache: LRUCache[str, str] = LRUCache(100, max_weight=10, weigh=len)
    cache.put("a", "xxxx")
    cache.put("b", "yyyy")
    assert cache.weight == 8
    cache.put("c", "zzzz")  # 12 > 10: "a" goes
    assert cache.get("a") is None and cache.get("b") == "yyyy" and cache.weight == 8
    cache.put("b", "y")
    assert cache.weight == 5
    cache.put("huge", "h" * 11)  # heavier than the bound on its own: not kept
    assert cache.get("huge") is None and cache.weight == 5
    with pytest.raises(ValueError):
        LRUCache(1, max_weight=10)


def test_threads_at_once_neither_fail_nor_exceed_the_bounds() -> None:
    """The old caches (a dict evicted with pop(next(iter(d)))) raised KeyError or
    RuntimeError ("dictionary changed size during iteration") under threads."""
    cache: LRUCache[int, int] = LRUCache(50, max_weight=400, weigh=lambda value: value % 17)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(offset: int) -> None:
        try:
            start.wait()
            for n in range(20_000):
                key = (n * 7 + offset) % 300
                value = cache.get(key)
                assert value is None or value == key
                cache.put(key, key)
                assert len(cache) <= 50
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 50 and cache.weight <= 400
    assert cache.weight == sum(key % 17 for key in range(300) if cache.get(key) is not None)
