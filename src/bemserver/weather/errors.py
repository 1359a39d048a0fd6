"""What a weather download answers when it cannot be done: client errors (409, 422) and the
provider's failures (502 an error or a bad answer, 504 no answer), never a 500."""

from __future__ import annotations

from bemserver.http.errors import ApiError, Conflict

MISSING_SETTINGS = "Missing weather API settings."
MISSING_COORDINATES = "Missing site coordinates."
WRONG_API_KEY = "Wrong API key."

REASON_SHOWN = 300  # characters of a provider's reason quoted in a message


def shown(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= REASON_SHOWN else reason[:REASON_SHOWN] + "..."


class MissingSettings(Conflict):
    def __init__(self) -> None:
        super().__init__(MISSING_SETTINGS)


class WrongApiKey(Conflict):
    def __init__(self) -> None:
        super().__init__(WRONG_API_KEY)


class ProviderUnreachable(ApiError):
    """No answer: connection refused, name unknown, timeout (504)."""

    status_code = 504

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"Weather provider {provider} unreachable: {shown(reason)}")


class ProviderFailed(ApiError):
    """An error answer, or an answer that is not what the provider documents (502)."""

    status_code = 502

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"Weather provider {provider} failed: {shown(reason)}")
