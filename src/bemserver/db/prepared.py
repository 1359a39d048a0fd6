"""Statements built and compiled once per shape, then run as plain SQL with per-request values.

Building and executing a SQLAlchemy statement costs about 0.5 ms of Python, more than PostgreSQL
spends on a small list; the frequent reads have few shapes (filters present, sort, admin or not),
so each is compiled once with named placeholders and run on the driver connection.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from bemserver.db.driver import execute, fetch_all
from bemserver.db.engine import Reader

_DIALECT = PGDialect_psycopg()
CACHE_SIZE = 256  # shapes per cache; sort strings are client-chosen, so the cache is bounded


@dataclass(frozen=True, slots=True)
class Prepared:
    """Compiled SQL, the values of its literals, and the placeholders each run must fill."""

    sql: str
    constants: dict[str, Any]
    placeholders: frozenset[str]

    @classmethod
    def compile(cls, statement: Executable) -> Prepared | None:
        """None when the statement cannot run as fixed SQL (lists expanded at execution)."""
        compiled = statement.compile(dialect=_DIALECT)
        if compiled.post_compile_params or compiled.literal_execute_params:
            return None
        placeholders = frozenset(
            name for name, bind in compiled.binds.items() if bind.value is None and bind.callable is None
        )
        constants = {name: value for name, value in compiled.params.items() if name not in placeholders}
        return cls(str(compiled), constants, placeholders)

    def _params(self, values: dict[str, Any]) -> dict[str, Any]:
        if not self.placeholders <= values.keys():
            raise RuntimeError(f"Missing values for {sorted(self.placeholders - values.keys())}")
        return {**self.constants, **values} if self.constants else values

    async def rows(
        self, target: Reader, values: dict[str, Any], *, binary: bool = False
    ) -> list[dict[str, Any]]:
        return await fetch_all(target, self.sql, self._params(values), binary=binary)

    async def run(self, target: Reader, values: dict[str, Any]) -> None:
        """Execute it, its rows (if any) left unread."""
        await execute(target, self.sql, self._params(values))


class Shapes:
    """A bounded cache of Prepared statements by shape key."""

    def __init__(self) -> None:
        self._cache: dict[Hashable, Prepared | None] = {}

    def get(self, key: Hashable, build: Callable[[], Executable]) -> Prepared | None:
        try:
            return self._cache[key]
        except KeyError:
            pass
        prepared = Prepared.compile(build())
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = prepared
        return prepared
