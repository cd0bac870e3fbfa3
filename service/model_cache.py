"""A small in-process LRU of loaded models, keyed by model id and record version (ETag).

The key carries the version, so a model whose record changed (or was deleted and its id reused) is never served
from a stale entry: the caller always reads the record first and asks for (id, etag).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable


class ModelCache:
    def __init__(self, capacity: int = 8):
        self.capacity = max(0, capacity)
        self._items: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str, version: str, load: Callable[[], object]):
        key = (model_id, version)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        model = load()  # outside the lock: loading can take a while, and two loads of one model are harmless
        with self._lock:
            for old in [k for k in self._items if k[0] == model_id and k != key]:
                del self._items[old]
            if self.capacity:
                self._items[key] = model
                self._items.move_to_end(key)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return model

    def evict(self, model_id: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == model_id]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items
