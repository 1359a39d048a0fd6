"""SQL for a Resource: permission-filtered selects, item loads, inserts, updates, deletes."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Hashable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Enum, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver import permissions
from bemserver.auth.caller import Caller
from bemserver.crud.resource import Item, Narrowed, Resource
from bemserver.db.driver import as_dicts, custom_plans
from bemserver.db.engine import Reader
from bemserver.db.prepared import Shapes
from bemserver.http.errors import Forbidden, NotFound, Unprocessable
from bemserver.http.responses import dumps

_DIALECT = PGDialect_psycopg()
COUNT_ONLY = "count only"  # the sort a count gives the narrowing: any, since it needs no search
_PLAIN = (str, int, float, bool, datetime.datetime, datetime.date, decimal.Decimal)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Store:
    """Query helpers bound to one Resource."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.model = resource.model
        self.table: Table = resource.model.__table__
        self.fields = list(resource.read.model_fields)
        self.columns = [self.table.c[name] for name in self.fields if name in self.table.c]
        if "id" not in self.table.c:
            raise RuntimeError(f"{resource.path}: table has no id column")
        self._shapes = Shapes()
        # Columns whose values SQLAlchemy passes to the driver unchanged (an enum of names: its
        # names, which PostgreSQL checks itself)
        self._unconverted = frozenset(
            column.name
            for column in self.table.c
            if column.type.bind_processor(_DIALECT) is None
            or (isinstance(column.type, Enum) and column.type.enum_class is None)
        )

    def shape(self, item: Item) -> Item:
        """Fields in schema order, nulls left out (reference behaviour for model resources)."""
        return {name: item[name] for name in self.fields if item.get(name) is not None}

    async def finish(self, session: Reader, items: list[Item]) -> list[Item]:
        if self.resource.hooks.enrich and items:
            await self.resource.hooks.enrich(session, items)
        return [self.shape(item) for item in items]

    def body(self, items: list[Item] | Item) -> bytes:
        return dumps(items)

    def filter_params(self, values: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The statement parameters of the filters given, and whether their SQL depends only on
        which filters are given (custom filters may build SQL from their values)."""
        params: dict[str, Any] = {}
        fixed = True
        custom = self.resource.custom_filters
        for name, value in values.items():
            if name in custom and not self.resource.placeholder_filters:
                fixed = False
            elif name.startswith("in_") and name not in self.table.c:
                params[f"f_{name}"] = f"%{escape_like(str(value))}%"
            else:
                params[f"f_{name}"] = value
        return params, fixed

    def filter_clauses(self, values: dict[str, Any]) -> list[ColumnElement[bool]]:
        """The SQL of the filters given; plain filters compare with their :f_<name> parameter."""
        clauses: list[ColumnElement[bool]] = []
        custom, columns = self.resource.custom_filters, self.table.c
        for name, value in values.items():
            key = bindparam(f"f_{name}")
            if name in custom:
                clauses.append(custom[name](key if self.resource.placeholder_filters else value))
            elif name in columns:
                clauses.append(columns[name] == key)
            elif name.startswith("in_") and name[3:] in columns:
                clauses.append(columns[name[3:]].ilike(key, escape="\\"))
            elif name.endswith("_min") and name[:-4] in columns:
                clauses.append(columns[name[:-4]] >= key)
            elif name.endswith("_max") and name[:-4] in columns:
                clauses.append(columns[name[:-4]] <= key)
            else:
                raise RuntimeError(f"{self.resource.path}: no rule for filter {name!r}")
        return clauses

    def _sort_names(self, sort: str | None) -> list[str]:
        """The columns a (valid) sort names, besides id."""
        names = {part.strip().lstrip("+-") for part in sort.split(",")} if sort else set()
        return sorted(names - {"id"})

    def order_by(self, sort: str | None, columns: Any = None) -> list[Any]:
        """ORDER BY of `sort`, then id; on `columns` (a subquery's) rather than the table's."""
        columns = self.table.c if columns is None else columns
        order: list[Any] = []
        if sort:
            allowed = self.resource.sort
            choices = ", ".join(f"{name}, +{name}, -{name}" for name in allowed)
            for position, part in enumerate(sort.split(",")):
                name = part.strip().lstrip("+-")
                if name not in allowed or part.strip() not in (name, f"+{name}", f"-{name}"):
                    raise Unprocessable(
                        errors={"query": {"sort": {str(position): [f"Must be one of: {choices}."]}}}
                    )
                column = columns[name]
                order.append(column.desc() if part.strip().startswith("-") else column.asc())
        order.append(columns.id)
        return order

    async def check_refs(self, session: Reader, caller: Caller, filters: BaseModel | None) -> None:
        """A filter on an object the caller may not read is a 403, not an empty list."""
        if filters is None or caller.is_admin:
            return
        for name, model in self.resource.refs.items():
            value = getattr(filters, name, None)
            if value is None:
                continue
            prepared = self._shapes.get(
                ("ref", model),
                lambda model=model: select(
                    permissions.read_filter(model, permissions.sql_caller(caller)).label("readable")
                ).where(model.id == bindparam("ref_id")),
            )
            assert prepared is not None
            rows = await prepared.rows(session, {"caller_id": caller.id, "ref_id": value})
            if rows and not rows[0]["readable"]:
                raise Forbidden()

    def _narrowing(self, values: dict[str, Any]) -> tuple[Hashable, dict[str, Any]] | None:
        """The narrowing's shape key and placeholder values for these filters, None for none."""
        narrow = self.resource.hooks.narrow
        return narrow.plan(values) if narrow is not None else None

    def _narrowed(
        self, values: dict[str, Any], sort: str | None, caller: Caller, clauses: list[ColumnElement[bool]]
    ) -> Narrowed:
        narrow = self.resource.hooks.narrow
        assert narrow is not None
        return narrow.build(frozenset(values), sort, caller, clauses)

    def _list_statement(
        self, values: dict[str, Any], sort: str | None, paginated: bool, caller: Caller, narrowed: bool
    ) -> Select[Any]:
        allowed = permissions.read_filter(self.model, caller)
        clauses = self.filter_clauses(values)
        if not paginated:
            return select(*self.columns).where(allowed, *clauses).order_by(*self.order_by(sort))
        table = self.table
        keys = [table.c[name] for name in self._sort_names(sort)]
        narrowing = self._narrowed(values, sort, caller, [allowed, *clauses]) if narrowed else None
        search = narrowing.search if narrowing is not None else []
        # OFFSET 0 keeps PostgreSQL from reading the matches in the order's index (the primary key
        # of the whole table, cut short by a LIMIT it expects to reach early): it finds them
        # through the filters' indexes (an index-only scan of the ids), then sorts the page out.
        matching = select(table.c.id, *keys).where(allowed, *clauses, *search).offset(0).subquery("matching")
        page = (
            select(matching.c.id)
            .order_by(*self.order_by(sort, matching.c))
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .subquery("page")
        )
        # The total apart, an aggregate: count(*) OVER () would keep every match in a tuplestore.
        total = (
            narrowing.total
            if narrowing is not None
            else select(func.count())
            .select_from(table)
            .where(allowed, *clauses)
            .correlate(None)
            .scalar_subquery()
        )
        return (
            select(*self.columns, total.label("_total"))
            .join_from(table, page, table.c.id == page.c.id)
            .order_by(*self.order_by(sort))
        )

    def _count_statement(self, values: dict[str, Any], caller: Caller, narrowed: bool) -> Select[Any]:
        allowed = permissions.read_filter(self.model, caller)
        clauses = self.filter_clauses(values)
        if narrowed:
            return select(
                self._narrowed(values, COUNT_ONLY, caller, [allowed, *clauses]).total.label("total")
            )
        matching = select(self.table.c.id).where(allowed, *clauses)
        return select(func.count().label("total")).select_from(matching.subquery())

    async def _run(
        self,
        session: Reader,
        key: Hashable | None,
        build: Callable[[Caller], Select[Any]],
        caller: Caller,
        params: dict[str, Any],
        planned: bool = False,
    ) -> list[Item]:
        """Run a statement of a fixed shape compiled once (key given), else built for this request.
        `planned`: PostgreSQL plans it for each request's values rather than keeping one plan for
        all (db/driver.custom_plans), as it does for every statement built for its request."""
        if key is not None:
            prepared = self._shapes.get(key, lambda: build(permissions.sql_caller(caller)))
            if prepared is not None:
                values = {"caller_id": caller.id, **params}
                if not planned:
                    return await prepared.rows(session, values)
                async with custom_plans(session):
                    return await prepared.rows(session, values)
        async with custom_plans(session):
            result = await session.execute(build(caller), params)
        return as_dicts(result)

    async def list(
        self,
        session: Reader,
        caller: Caller,
        filters: BaseModel | None,
        sort: str | None,
        page: tuple[int, int] | None,
    ) -> tuple[list[Item], int | None]:
        await self.check_refs(session, caller, filters)
        values = filters.model_dump(exclude_none=True) if filters is not None else {}
        params, fixed = self.filter_params(values)
        if sort:
            self.order_by(sort)  # 422 before anything is cached
        paginated = page is not None
        filtered: tuple[Hashable, ...] = (tuple(values), caller.is_admin)  # shape keys, when `fixed`
        narrowing = self._narrowing(values) if paginated else None
        # Custom filters and the narrowing pick indexes by their values: a plan for each request.
        planned = any(name in self.resource.custom_filters for name in values) or (
            paginated and self.resource.hooks.narrow is not None
        )
        if narrowing is not None:
            filtered += (narrowing[0],)  # a shape of its own
            params = {**params, **narrowing[1]}
        rows = await self._run(
            session,
            ("list", *filtered, sort, paginated) if fixed else None,
            lambda who: self._list_statement(values, sort, paginated, who, narrowing is not None),
            caller,
            {**params, "limit": page[1], "offset": (page[0] - 1) * page[1]} if page else params,
            planned,
        )
        if page is None:
            return await self.finish(session, rows), None
        if rows:
            total = rows[0]["_total"]
        else:
            counted = await self._run(
                session,
                ("count", *filtered) if fixed else None,
                lambda who: self._count_statement(values, who, narrowing is not None),
                caller,
                params,
                planned,
            )
            total = counted[0]["total"] if counted else 0
        return await self.finish(session, rows), total  # shaping leaves _total out

    def _load_statement(self, operations: tuple[str, ...], caller: Caller) -> Select[Any]:
        checks = [permissions.read_filter(self.model, caller).label("_may_read")]
        for operation in operations:
            check = getattr(permissions, f"{operation}_filter")(self.model, caller)
            checks.append(check.label(f"_may_{operation}"))
        return select(*self.columns, *checks).where(self.table.c.id == bindparam("item_id"))

    async def load(self, session: Reader, caller: Caller, item_id: int, *operations: str) -> Item:
        """Load one item: 404 when absent, 403 when the caller may not read it.

        Each extra operation ("update", "delete") adds a boolean `_may_<op>` to the item.
        """
        rows = await self._run(
            session,
            ("load", operations, caller.is_admin),
            lambda who: self._load_statement(operations, who),
            caller,
            {"item_id": item_id},
        )
        if not rows:
            raise NotFound()
        item = rows[0]
        if not item["_may_read"]:
            raise Forbidden()
        flags = {key: item.pop(key) for key in list(item) if key.startswith("_may_")}
        shaped = (await self.finish(session, [item]))[0]
        shaped.update(flags)
        return shaped

    @staticmethod
    def public(item: Item) -> Item:
        return {key: value for key, value in item.items() if not key.startswith("_may_")}

    async def fetch(self, session: AsyncSession, item_id: int) -> Item:
        """Load an item without permission checks (after a write the caller was allowed)."""
        statement = select(*self.columns).where(self.table.c.id == item_id)
        row = (await session.execute(statement)).mappings().one_or_none()
        if row is None:  # deleted meanwhile (writers lock the row first: not expected)
            raise NotFound()
        return (await self.finish(session, [dict(row)]))[0]

    async def lock(self, session: AsyncSession, item_id: int) -> None:
        """Lock the item's row until the end of the transaction (before checking and writing it)."""
        await session.execute(select(self.table.c.id).where(self.table.c.id == item_id).with_for_update())

    def _insert_statement(self, names: tuple[str, ...]) -> Any:
        returned = self.columns if "id" in self.fields else [self.table.c.id, *self.columns]
        values = {name: bindparam(name, type_=self.table.c[name].type) for name in names}
        return insert(self.table).values(values).returning(*returned)

    def _plain(self, values: Item) -> bool:
        """Whether the values go to the driver as they are: no SQL, no column that converts them."""
        return all(
            name in self._unconverted and (value is None or isinstance(value, _PLAIN))
            for name, value in values.items()
        )

    async def insert(self, session: AsyncSession, caller: Caller, values: Item) -> Item:
        """Insert a row; returns it as a GET would (the columns come back with the INSERT). Plain
        values run a statement compiled once per set of columns, on the driver."""
        prepared = None
        if self._plain(values):
            names = tuple(values)
            prepared = self._shapes.get(("insert", names), lambda: self._insert_statement(names))
        # (not when the table has defaults computed in Python for the columns left out)
        if prepared is not None and prepared.placeholders <= values.keys():
            row = (await prepared.rows(session, values))[0]
        else:
            returned = self.columns if "id" in self.fields else [self.table.c.id, *self.columns]
            statement = insert(self.table).values(**values).returning(*returned)
            row = dict((await session.execute(statement)).mappings().one())
        if not caller.is_admin:
            allowed = await session.scalar(
                select(permissions.create_filter(self.model, caller))
                .select_from(self.table)
                .where(self.table.c.id == row["id"])
            )
            if not allowed:
                raise Forbidden()
        return (await self.finish(session, [row]))[0]

    async def update(self, session: AsyncSession, item_id: int, values: Item) -> None:
        if values:
            await session.execute(update(self.table).where(self.table.c.id == item_id).values(**values))

    async def delete(self, session: AsyncSession, item_id: int) -> None:
        await session.execute(delete(self.table).where(self.table.c.id == item_id))
