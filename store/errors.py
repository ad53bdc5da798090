"""The errors finetop shows to people: each says what happened and what to do, in the user's terms."""

from __future__ import annotations

from dataclasses import dataclass


class FinetopError(Exception):
    """A failure a user can cause or meet. `str()` is the message; `hint` says what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class ConfigError(FinetopError):
    """The config file or a profile is missing or malformed."""


class CredentialError(FinetopError):
    """No API key could be found, or the configured way to get one failed."""


class CacheError(FinetopError):
    """The cache file cannot be used: not a database, someone else's, newer than us, disk full."""


class NotCachedError(FinetopError):
    """Asked for something the cache does not hold (an unknown id, offline)."""


# What an API failure is, from the user's point of view.
API_ERROR_KINDS = (
    "auth",  # 401: missing, wrong or revoked key
    "permission",  # 403: key lacks a role or scope
    "not_found",  # 404
    "conflict",  # 409
    "bad_request",  # 400/422: the service refused the request (wrong state, bad field)
    "rate_limit",  # 429: too many requests; retry after a while
    "quota",  # 429 insufficient_quota: billing
    "server",  # >= 500
    "offline",  # no connection to the endpoint
    "timeout",  # the endpoint did not answer in time
)

_HINTS = {
    "auth": "Check the API key of this profile (`finetop profiles list`).",
    "permission": "The key lacks the permission this needs; an owner or an admin key may be required.",
    "not_found": "It may have been deleted, or belong to another organization or project.",
    "rate_limit": "finetop backs off and retries on its own; wait a little.",
    "quota": "The account is out of credit or over its quota: check billing on the platform.",
    "server": "The service had a problem; finetop will retry on the next poll.",
    "offline": "Working from the cache until the connection is back.",
    "timeout": "The endpoint is slow or unreachable; working from the cache meanwhile.",
}


@dataclass(eq=False)
class ApiError(FinetopError):
    """A request to the API failed. Keeps the API's own message and request id for support tickets."""

    kind: str
    message: str
    status: int | None = None
    request_id: str | None = None
    code: str | None = None
    param: str | None = None
    error_type: str | None = None
    retry_after: float | None = None
    hint: str = ""

    def __post_init__(self) -> None:
        if not self.hint:
            self.hint = _HINTS.get(self.kind, "")
        FinetopError.__init__(self, self.message, self.hint)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status:
            parts.append(f"(HTTP {self.status}{f', request {self.request_id}' if self.request_id else ''})")
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)

    @property
    def details(self) -> str:
        """`HTTP 400, code invalid_value, request req_123`: what a support ticket needs, or ""."""
        parts = (
            f"HTTP {self.status}" if self.status else "",
            f"code {self.code}" if self.code else "",
            f"request {self.request_id}" if self.request_id else "",
        )
        return ", ".join(part for part in parts if part)

    @property
    def is_connection_problem(self) -> bool:
        return self.kind in ("offline", "timeout")
