"""A memo per class, for what is derived once from a class's fields (column lists, row
builders, attribute getters) and then read on every row.

``functools.cache`` would serve, but mypy does not count ``type[X]`` as ``Hashable``
(python/mypy#11470), so a cached function could not be called with a row class's type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_class(build: Callable[[type], T]) -> Callable[[type], T]:
    """``build(cls)``, computed on the first call for each class and kept."""
    built: dict[type, T] = {}

    @functools.wraps(build)
    def get(cls: type) -> T:
        try:
            return built[cls]
        except KeyError:
            value = built[cls] = build(cls)
            return value

    return get
