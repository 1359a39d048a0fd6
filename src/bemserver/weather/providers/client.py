"""The one outgoing request of a provider: a GET answered by JSON, its failures as API errors."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from bemserver.http.errors import Conflict
from bemserver.weather.errors import ProviderFailed, ProviderUnreachable, WrongApiKey

MAX_ANSWER = 64 * 1024 * 1024  # bytes: far more than a download's longest period needs


async def get_json(
    provider: str,
    url: str,
    params: list[tuple[str, Any]],
    timeout: float,
    error_reason: Any = None,
) -> Any:
    """The parsed JSON of a 200 answer. 401: wrong key (409); another status: 502 with the
    provider's reason (`error_reason(parsed body)` or the text); no answer in time: 504."""
    try:
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", url, params=params, headers={"Accept": "application/json"}) as response,
        ):
            body = await _read(response, provider)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise Conflict(f"Invalid weather API URL: {exc}") from None
    except httpx.TimeoutException:
        raise ProviderUnreachable(provider, f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise ProviderUnreachable(provider, str(exc) or type(exc).__name__) from None
    if response.status_code == 401:
        raise WrongApiKey()
    if response.status_code != 200:
        raise ProviderFailed(provider, f"HTTP {response.status_code}: {_reason(body, error_reason)}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ProviderFailed(provider, "the answer is not JSON") from None


async def _read(response: httpx.Response, provider: str) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER:
            raise ProviderFailed(provider, f"the answer is larger than {MAX_ANSWER} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(body: bytes, error_reason: Any) -> str:
    text = body.decode("utf-8", "replace")
    if error_reason is not None:
        try:
            reason = error_reason(orjson.loads(body))
        except (orjson.JSONDecodeError, LookupError, TypeError, AttributeError):
            reason = None
        if isinstance(reason, str) and reason:
            return reason
    return text or "(empty answer)"
