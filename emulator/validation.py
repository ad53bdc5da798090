"""Checks each JSON response against the official spec subset (../shared/openapi) with openapi-core.

Successful responses are checked against their operation; error responses against
components/schemas/ErrorResponse (the spec documents almost no error statuses). The
listed deviations (emulator/deviations.py) are undone first; anything else is a
violation. openapi-core is a test dependency, imported only when validation is on.

The spec's usage buckets use a `discriminator` on `object` without a mapping, which
openapi-core resolves to a schema *named* after the value (and fails); the mapping each
result schema implies (its `object` enum) is filled in when the spec is loaded.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

from emulator import deviations

SPEC_NAME = "openai-openapi.finetune-subset.normalized.yaml"
MAX_REPORTED = 5
_lock = threading.Lock()
_cached: dict[str, ResponseValidator | None] = {}


def spec_path() -> Path:
    override = os.environ.get("FINETOP_OPENAPI_SPEC")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / SPEC_NAME


def load_validator() -> ResponseValidator | None:
    """The process-wide validator (loading the spec takes about a second), or None without the spec."""
    path = spec_path()
    with _lock:
        if str(path) not in _cached:
            if not path.is_file():
                warnings.warn(f"response validation is off: {path} not found", stacklevel=2)
                _cached[str(path)] = None
            else:
                _cached[str(path)] = ResponseValidator(path)
        return _cached[str(path)]


class ResponseValidator:
    def __init__(self, path: Path) -> None:
        import yaml
        from openapi_core import OpenAPI
        from openapi_schema_validator import OAS31Validator

        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        _map_discriminators(spec)
        self._api = OpenAPI.from_dict(spec, base_uri=path.as_uri())
        error_schema = {
            "type": "object",
            "properties": {"error": spec["components"]["schemas"]["Error"]},
            "required": ["error"],
        }
        self._error_validator = OAS31Validator(error_schema)

    def problems(self, method: str, path: str, status: int, content_type: str, body: bytes) -> list[str]:
        """What is wrong with this response (empty when it conforms, deviations aside)."""
        if deviations.unvalidated(path):
            return []
        if not content_type.startswith("application/json"):
            return [f"expected a JSON response, got {content_type or 'no content type'}"]
        try:
            data = json.loads(body)
        except ValueError as exc:
            return [f"response body is not JSON: {exc}"]
        data = deviations.undo_all(data)
        if status >= 400:
            return [
                f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"
                for e in self._error_validator.iter_errors(data)
            ]
        return self._operation_problems(method, path, status, data)

    def _operation_problems(self, method: str, path: str, status: int, data: Any) -> list[str]:
        from openapi_core.testing import MockRequest, MockResponse

        request = MockRequest("https://api.openai.com", method.lower(), path)
        response = MockResponse(json.dumps(data).encode(), status_code=status)
        try:
            self._api.validate_response(request, response)
        except Exception as exc:  # openapi-core raises a family of errors; report them all the same way
            cause = exc.__cause__
            details = getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", None)
            if details:
                return [_describe(e) for e in details]
            return [f"{type(exc).__name__}: {exc}"[:300]]
        return []


def _describe(error: Any) -> str:
    where = "/".join(map(str, error.absolute_path)) or "<body>"
    return f"{where}: {error.message}"[:300]


def _map_discriminators(node: Any, schemas: dict[str, Any] | None = None) -> None:
    """Give every mapping-less `discriminator` on `object` the mapping its oneOf members imply."""
    if schemas is None:
        schemas = node.get("components", {}).get("schemas", {})
    if isinstance(node, dict):
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict) and "mapping" not in discriminator and "oneOf" in node:
            mapping = {}
            for option in node["oneOf"]:
                ref = option.get("$ref", "")
                target = schemas.get(ref.rsplit("/", 1)[-1], {})
                for value in target.get("properties", {}).get(discriminator["propertyName"], {}).get("enum", []):
                    mapping[value] = ref
            discriminator["mapping"] = mapping
        for value in node.values():
            _map_discriminators(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _map_discriminators(value, schemas)
