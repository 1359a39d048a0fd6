"""SQL for a Resource: permission-filtered selects, item loads, inserts, updates, deletes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver import permissions
from bemserver.auth.caller import Caller
from bemserver.crud.resource import Item, Resource
from bemserver.http.errors import Forbidden, NotFound, Unprocessable
from bemserver.http.responses import dumps


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

    # -- output ------------------------------------------------------------------------------

    def shape(self, item: Item) -> Item:
        """Fields in schema order, nulls left out (reference behaviour for model resources)."""
        return {name: item[name] for name in self.fields if item.get(name) is not None}

    async def finish(self, session: AsyncSession, items: list[Item]) -> list[Item]:
        if self.resource.hooks.enrich and items:
            await self.resource.hooks.enrich(session, items)
        return [self.shape(item) for item in items]

    def body(self, items: list[Item] | Item) -> bytes:
        return dumps(items)

    # -- filtering and sorting ----------------------------------------------------------------

    def where(self, filters: BaseModel | None) -> list[ColumnElement[bool]]:
        if filters is None:
            return []
        clauses: list[ColumnElement[bool]] = []
        custom = self.resource.custom_filters
        for name, value in filters.model_dump(exclude_none=True).items():
            if name in custom:
                clauses.append(custom[name](value))
            elif name in self.table.c:
                clauses.append(self.table.c[name] == value)
            elif name.startswith("in_") and name[3:] in self.table.c:
                pattern = f"%{escape_like(str(value))}%"
                clauses.append(self.table.c[name[3:]].ilike(pattern, escape="\\"))
            elif name.endswith("_min") and name[:-4] in self.table.c:
                clauses.append(self.table.c[name[:-4]] >= value)
            elif name.endswith("_max") and name[:-4] in self.table.c:
                clauses.append(self.table.c[name[:-4]] <= value)
            else:
                raise RuntimeError(f"{self.resource.path}: no rule for filter {name!r}")
        return clauses

    def order_by(self, sort: str | None) -> list[Any]:
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
                column = self.table.c[name]
                order.append(column.desc() if part.strip().startswith("-") else column.asc())
        order.append(self.table.c.id)
        return order

    async def check_refs(self, session: AsyncSession, caller: Caller, filters: BaseModel | None) -> None:
        """A filter on an object the caller may not read is a 403, not an empty list."""
        if filters is None or caller.is_admin:
            return
        for name, model in self.resource.refs.items():
            value = getattr(filters, name, None)
            if value is None:
                continue
            readable = await session.scalar(
                select(permissions.read_filter(model, caller)).where(model.id == value)
            )
            if readable is False:
                raise Forbidden()

    # -- reads --------------------------------------------------------------------------------

    async def list(
        self,
        session: AsyncSession,
        caller: Caller,
        filters: BaseModel | None,
        sort: str | None,
        page: tuple[int, int] | None,
    ) -> tuple[list[Item], int | None]:
        await self.check_refs(session, caller, filters)
        statement = (
            select(*self.columns)
            .where(permissions.read_filter(self.model, caller), *self.where(filters))
            .order_by(*self.order_by(sort))
        )
        if page is None:
            rows = (await session.execute(statement)).mappings().all()
            return await self.finish(session, [dict(row) for row in rows]), None
        number, size = page
        statement = statement.add_columns(func.count().over().label("_total"))
        statement = statement.limit(size).offset((number - 1) * size)
        rows = (await session.execute(statement)).mappings().all()
        if rows:
            total = rows[0]["_total"]
        else:
            counted = select(func.count()).select_from(
                select(self.table.c.id)
                .where(permissions.read_filter(self.model, caller), *self.where(filters))
                .subquery()
            )
            total = await session.scalar(counted) or 0
        items = [{k: v for k, v in row.items() if k != "_total"} for row in rows]
        return await self.finish(session, items), total

    async def load(self, session: AsyncSession, caller: Caller, item_id: int, *operations: str) -> Item:
        """Load one item: 404 when absent, 403 when the caller may not read it.

        Each extra operation ("update", "delete") adds a boolean `_may_<op>` to the item.
        """
        checks = [permissions.read_filter(self.model, caller).label("_may_read")]
        for operation in operations:
            check = getattr(permissions, f"{operation}_filter")(self.model, caller)
            checks.append(check.label(f"_may_{operation}"))
        row = (
            (await session.execute(select(*self.columns, *checks).where(self.table.c.id == item_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound()
        if not row["_may_read"]:
            raise Forbidden()
        item = dict(row)
        flags = {key: item.pop(key) for key in list(item) if key.startswith("_may_")}
        shaped = (await self.finish(session, [item]))[0]
        shaped.update(flags)
        return shaped

    @staticmethod
    def public(item: Item) -> Item:
        return {key: value for key, value in item.items() if not key.startswith("_may_")}

    async def fetch(self, session: AsyncSession, item_id: int) -> Item:
        """Load an item without permission checks (after a write the caller was allowed)."""
        row = (
            (await session.execute(select(*self.columns).where(self.table.c.id == item_id))).mappings().one()
        )
        return (await self.finish(session, [dict(row)]))[0]

    # -- writes -------------------------------------------------------------------------------

    async def insert(self, session: AsyncSession, caller: Caller, values: Item) -> int:
        new_id: int = await session.scalar(insert(self.table).values(**values).returning(self.table.c.id))
        if not caller.is_admin:
            allowed = await session.scalar(
                select(permissions.create_filter(self.model, caller))
                .select_from(self.table)
                .where(self.table.c.id == new_id)
            )
            if not allowed:
                raise Forbidden()
        return new_id

    async def update(self, session: AsyncSession, item_id: int, values: Item) -> None:
        if values:
            await session.execute(update(self.table).where(self.table.c.id == item_id).values(**values))

    async def delete(self, session: AsyncSession, item_id: int) -> None:
        await session.execute(delete(self.table).where(self.table.c.id == item_id))
