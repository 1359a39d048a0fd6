"""The pages' reads of the API, in-process, as the signed-in user."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from bemserver.ui.inprocess import Answer, call
from bemserver.ui.session import Tokens


class ApiError(Exception):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        document = answer.json() if answer.header("content-type") == "application/json" else None
        message = (document or {}).get("message") if isinstance(document, dict) else None
        super().__init__(message or f"HTTP {answer.status}")


class Api:
    def __init__(self, request: Request, tokens: Tokens) -> None:
        self.request, self.tokens = request, tokens

    async def answer(self, method: str, path: str, params: Any = None, body: bytes = b"") -> Answer:
        return await call(
            self.request.app,
            self.request.scope,
            method,
            path,
            token=self.tokens.access,
            params=params,
            body=body,
        )

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.answer(
            "GET", path, {key: value for key, value in params.items() if value is not None}
        )
        if not answer.ok:
            raise ApiError(answer)
        return answer.json()

    async def get_or_none(self, path: str, **params: Any) -> Any:
        try:
            return await self.get(path, **params)
        except ApiError:
            return None

    async def page(self, path: str, **params: Any) -> tuple[list[Any], dict[str, Any]]:
        """One page of a list, and its X-Pagination document."""
        import orjson

        answer = await self.answer(
            "GET", path, {key: value for key, value in params.items() if value is not None}
        )
        if not answer.ok:
            raise ApiError(answer)
        pagination = answer.header("x-pagination")
        return answer.json(), (orjson.loads(pagination) if pagination else {})

    async def all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a list (pages of 500: the structure and admin lists are small)."""
        items, page = [], 1
        while True:
            try:
                found, pagination = await self.page(path, page=page, page_size=500, **params)
            except ApiError as error:  # a list without pages (link lists): all of it at once
                if error.answer.status != 422 or b"page" not in error.answer.body:
                    raise
                return items + await self.get(path, **params)
            items += found
            if not found or page >= int(pagination.get("total_pages") or 1):
                return items
            page += 1
