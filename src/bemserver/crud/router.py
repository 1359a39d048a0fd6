"""Turns a Resource declaration into FastAPI routes with the shared HTTP conventions."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from bemserver import permissions
from bemserver.auth.caller import Caller, CurrentCaller, active_caller
from bemserver.crud.resource import Resource
from bemserver.crud.store import Store
from bemserver.db.engine import Connection, Session, database_of
from bemserver.http.errors import Conflict, Forbidden
from bemserver.http.etag import IfMatch, check_if_match, etag_of, with_etag
from bemserver.http.fast.handlers import Attempt, attempt_first, lean, lean_endpoint
from bemserver.http.fast.queries import ListArgs, ListQuery
from bemserver.http.fields import ItemId
from bemserver.http.openapi import error_responses
from bemserver.http.pagination import MAX_PAGE, pagination_header
from bemserver.http.responses import JSONBytes


def _query(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _list_args_dependency(resource: Resource) -> Callable[..., ListArgs]:
    """A dependency whose signature declares exactly this resource's query arguments.

    It documents them in OpenAPI; requests are parsed by ListQuery (see http/fast/queries.py)."""
    params = []
    if resource.filters is not None:
        params.append(_query("filters", Annotated[resource.filters, Query()]))
    if resource.sort:
        description = f"Comma-separated fields, each optionally prefixed + or -: {', '.join(resource.sort)}"
        params.append(_query("sort", Annotated[str | None, Query(description=description)], None))
    if resource.paginate:
        params.append(_query("page", Annotated[int, Query(ge=1, le=MAX_PAGE)], 1))
        params.append(_query("page_size", Annotated[int, Query(ge=1, le=100)], 10))

    async def list_args(**kwargs: Any) -> ListArgs:
        page = (kwargs["page"], kwargs["page_size"]) if resource.paginate else None
        return ListArgs(kwargs.get("filters"), kwargs.get("sort"), page)

    list_args.__signature__ = inspect.Signature(params, return_annotation=ListArgs)  # type: ignore[attr-defined]
    return list_args


def _if_match(endpoint: Callable[..., Any], required: bool) -> Callable[..., Any]:
    """The endpoint as is when writes need If-Match; else without its If-Match header (None)."""
    if required:
        return endpoint
    signature = inspect.signature(endpoint)

    async def without(**kwargs: Any) -> Response:
        return await endpoint(**kwargs, if_match=None)  # type: ignore[no-any-return]

    parameters = [parameter for parameter in signature.parameters.values() if parameter.name != "if_match"]
    without.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    without.__name__ = without.__qualname__ = endpoint.__name__
    return without


def _quick_create(resource: Resource, store: Store, respond: Callable[..., Response]) -> Attempt:
    """The resource's quick create behind the body checks of the declared route: a JSON body
    that its create schema accepts as is; anything else goes to the declared route."""
    quick, schema = resource.hooks.quick_create, resource.create
    assert quick is not None and schema is not None and resource.hooks.enrich is None

    async def attempt(request: Request, body: bytes) -> Response | None:
        if request.headers.get("content-type", "").partition(";")[0].strip() != "application/json":
            return None
        try:
            values = schema.model_validate(orjson.loads(body)).model_dump()
        except (orjson.JSONDecodeError, ValidationError):
            return None
        row = await quick(request, values)
        if row is None:
            return None
        return respond(request, store.body(store.shape(row)), status=201)  # type: ignore[no-any-return]

    return attempt


def build_router(resource: Resource) -> APIRouter:
    router = APIRouter(tags=[resource.tag])
    store = Store(resource)
    model, hooks = resource.model, resource.hooks
    collection, item_path = resource.path, resource.path + "{item_id:int}"
    etag, needs_if_match = resource.etag, resource.needs_if_match

    def respond(
        request: Request, payload: bytes, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        response = JSONBytes(payload, status_code=status, headers=headers)
        if etag:
            extra = headers.get("X-Pagination", "").encode() if headers else b""
            return with_etag(request, response, etag_of(payload, extra))
        return response

    if resource.list:
        ListArgsDep = Annotated[ListArgs, Depends(_list_args_dependency(resource))]

        async def list_items(
            request: Request, connection: Connection, caller: CurrentCaller, args: ListArgsDep
        ) -> Response:
            items, total = await store.list(connection, caller, args.filters, args.sort, args.page)
            headers = None
            if args.page is not None and total is not None:
                headers = {"X-Pagination": pagination_header(total, *args.page)}
            return respond(request, store.body(items), headers=headers)

        router.add_api_route(
            collection,
            list_items,
            methods=["GET"],
            operation_id=f"list_{resource.plural}",
            summary=f"List {resource.plural.replace('_', ' ')}",
            response_model=None,
            responses={200: {"model": list[resource.read]}, **error_responses(401, 403, 422)},
        )
        list_query = ListQuery(resource.plural, resource.filters, bool(resource.sort), resource.paginate)

        async def run_list(request: Request) -> Response:
            async with database_of(request).reader() as connection:
                caller = await active_caller(request, connection)
                args = list_query.parse(request.query_params)
                return await list_items(request, connection, caller, args)

        lean(router.routes[-1], run_list)

    if resource.create is not None:
        CreateBody = Annotated[resource.create, Body()]

        async def create_item(
            request: Request, session: Session, caller: CurrentCaller, body: CreateBody
        ) -> Response:
            if not permissions.may(model, caller, "create"):
                raise Forbidden()
            values = body.model_dump()
            if hooks.before_write:
                values = await hooks.before_write(session, caller, values, None)
            item = await store.insert(session, caller, values)
            if hooks.after_create:
                await hooks.after_create(session, caller, item, request.app.state.settings)
            return respond(request, store.body(item), status=201)

        router.add_api_route(
            collection,
            create_item,
            methods=["POST"],
            status_code=201,
            operation_id=f"create_{resource.name}",
            summary=f"Add a new {resource.name.replace('_', ' ')}",
            response_model=None,
            responses={201: {"model": resource.read}, **error_responses(401, 403, 409, 422)},
        )
        if hooks.quick_create is not None:
            attempt_first(router.routes[-1], _quick_create(resource, store, respond))  # type: ignore[arg-type]

    if resource.get:

        async def get_item(
            request: Request, connection: Connection, caller: CurrentCaller, item_id: ItemId
        ) -> Response:
            item = store.public(await store.load(connection, caller, item_id))
            return respond(request, store.body(item))

        router.add_api_route(
            item_path,
            get_item,
            methods=["GET"],
            operation_id=f"get_{resource.name}",
            summary=f"Get {resource.name.replace('_', ' ')} by ID",
            response_model=None,
            responses={200: {"model": resource.read}, **error_responses(401, 403, 404)},
        )

        lean_endpoint(router.routes[-1])  # type: ignore[arg-type]

    async def _writable(
        session: Session, caller: Caller, item_id: ItemId, operation: str, if_match: str | None
    ) -> dict[str, Any]:
        """The order of checks: 404, read 403, 412 (If-Match), then write 403. The row is locked
        first, so concurrent writes of one row run one after the other, each checking If-Match
        against what the previous one committed."""
        await store.lock(session, item_id)
        item = await store.load(session, caller, item_id, operation)
        allowed = item.pop(f"_may_{operation}")
        if if_match is not None:
            check_if_match(if_match, etag_of(store.body(store.public(item)), b""))
        if not allowed:
            raise Forbidden()
        return item

    if resource.update is not None:
        UpdateBody = Annotated[resource.update, Body()]

        async def update_item(
            request: Request,
            session: Session,
            caller: CurrentCaller,
            if_match: IfMatch,
            item_id: ItemId,
            body: UpdateBody,
        ) -> Response:
            current = await _writable(session, caller, item_id, "update", if_match)
            values = body.model_dump()
            for name in resource.immutable:
                if name in values and values[name] != current.get(name):
                    raise Conflict(f"{name} cannot be modified")
            if hooks.before_write:
                values = await hooks.before_write(session, caller, values, current)
            await store.update(session, item_id, values)
            return respond(request, store.body(await store.fetch(session, item_id)))

        router.add_api_route(
            item_path,
            _if_match(update_item, needs_if_match),
            methods=["PUT"],
            operation_id=f"update_{resource.name}",
            summary=f"Update an existing {resource.name.replace('_', ' ')}",
            response_model=None,
            responses={
                200: {"model": resource.read},
                **error_responses(401, 403, 404, 409, 422, *((412, 428) if needs_if_match else ())),
            },
        )

    if resource.delete:

        async def delete_item(
            session: Session, caller: CurrentCaller, if_match: IfMatch, item_id: ItemId
        ) -> Response:
            current = await _writable(session, caller, item_id, "delete", if_match)
            if hooks.before_delete:
                await hooks.before_delete(session, caller, current)
            await store.delete(session, item_id)
            return Response(status_code=204)

        router.add_api_route(
            item_path,
            _if_match(delete_item, needs_if_match),
            methods=["DELETE"],
            status_code=204,
            operation_id=f"delete_{resource.name}",
            summary=f"Delete a {resource.name.replace('_', ' ')}",
            response_model=None,
            responses=error_responses(401, 403, 404, *((412, 428) if needs_if_match else ())),
        )

    return router
