"""The error envelope and the real service's error bodies (messages, types, params, codes)."""

from __future__ import annotations

from typing import Any

DOCS_KEYS_URL = "https://platform.openai.com/account/api-keys"


class ApiError(Exception):
    """An error the API answers with: a status and the four-key `{"error": {...}}` envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.param, self.code)


def error_body(message: str, type: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def mask_key(key: str) -> str:
    """The service shows a wrong key as its first 8 and last 4 characters around stars."""
    if len(key) <= 12:
        return key
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


# --- authentication -------------------------------------------------------------------------------


def missing_api_key() -> ApiError:
    return ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using "
        "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
        "if you're accessing the API from your browser and are prompted for a username and password. "
        f"You can obtain an API key from {DOCS_KEYS_URL}.",
    )


def incorrect_api_key(key: str) -> ApiError:
    return ApiError(
        401,
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at {DOCS_KEYS_URL}.",
        code="invalid_api_key",
    )


def azure_access_denied() -> ApiError:
    """Azure OpenAI's answer to a missing or wrong `api-key` (its own wording and numeric code)."""
    return ApiError(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
        "for an active subscription and use a correct regional API endpoint for your resource.",
        code="401",
    )


def azure_missing_api_version() -> ApiError:
    """Azure OpenAI without `?api-version=`: the resource is not found."""
    return ApiError(404, "Resource not found", code="404")


def insufficient_permissions(scope: str) -> ApiError:
    # The wording the service uses when a key lacks a scope (seen for model.request,
    # api.management.read); a project key on the usage/costs endpoints lacks api.usage.read.
    return ApiError(
        401,
        f"You have insufficient permissions for this operation. Missing scopes: {scope}. Check that you "
        "have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), "
        "and if you're using a restricted API key, that it has the necessary scopes.",
    )


# --- request shape --------------------------------------------------------------------------------


def invalid_url(method: str, path: str) -> ApiError:
    return ApiError(404, f"Invalid URL ({method} {path})")


def bad_json() -> ApiError:
    return ApiError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
        "JSON. If you have trouble figuring out how to fix this, please contact us through our help center "
        "at help.openai.com.)",
    )


def wrong_content_type(got: str, expected: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid Content-Type header ({got}), expected {expected}. (HINT: If you're using curl, you can "
        f"pass -H 'Content-Type: {expected}')",
    )


def missing_parameter(name: str) -> ApiError:
    return ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")


def unrecognized_argument(name: str) -> ApiError:
    return ApiError(400, f"Unrecognized request argument supplied: {name}")


def invalid_type(name: str, expected: str, got: Any) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{name}': expected {expected}, but got {json_type_name(got)} instead.",
        param=name,
        code="invalid_type",
    )


def invalid_value(name: str, value: Any, supported: tuple[str, ...] | list[str]) -> ApiError:
    quoted = [f"'{item}'" for item in supported]
    listing = ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return ApiError(
        400,
        f"Invalid value: '{value}'. Supported values are: {listing}.",
        param=name,
        code="invalid_value",
    )


def integer_above_max(name: str, maximum: int, got: int) -> ApiError:
    return ApiError(
        400,
        f"Invalid '{name}': integer above maximum value. Expected a value <= {maximum}, but got {got} instead.",
        param=name,
        code="integer_above_max_value",
    )


def integer_below_min(name: str, minimum: int, got: int) -> ApiError:
    return ApiError(
        400,
        f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, but got {got} instead.",
        param=name,
        code="integer_below_min_value",
    )


def string_too_long(name: str, maximum: int, got: int) -> ApiError:
    return ApiError(
        400,
        f"Invalid '{name}': string too long. Expected a string with maximum length {maximum}, "
        f"but got a string with length {got} instead.",
        param=name,
        code="string_above_max_length",
    )


def json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# --- unknown objects ------------------------------------------------------------------------------


def no_such_file(file_id: str) -> ApiError:
    return ApiError(404, f"No such File object: {file_id}", param="id")


def no_such_upload(upload_id: str) -> ApiError:
    return ApiError(404, f"No such Upload object: {upload_id}", param="id")


def no_such_job(job_id: str) -> ApiError:
    return ApiError(404, f"No such fine-tuning job: {job_id}", param="fine_tuning_job_id")


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def bad_cursor(name: str, value: str) -> ApiError:
    return ApiError(400, f"Invalid '{name}': no object with id '{value}' in this list.", param=name)


# --- server side ----------------------------------------------------------------------------------


def server_error() -> ApiError:
    return ApiError(
        500,
        "The server had an error while processing your request. Sorry about that! You can retry your request, "
        "or contact us through our help center at help.openai.com if the error persists.",
        type="server_error",
    )


def overloaded() -> ApiError:
    return ApiError(503, "The engine is currently overloaded, please try again later.", type="server_error")


def rate_limited(organization: str, retry_ms: int) -> ApiError:
    return ApiError(
        429,
        f"Rate limit reached for requests in organization {organization} on requests per min (RPM): "
        f"Limit 500, Used 500, Requested 1. Please try again in {retry_ms}ms. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        type="requests",
        code="rate_limit_exceeded",
    )
