"""Token encodings per base model (tiktoken), loaded once, with a clear message when offline.

Every token figure finetop shows (preflight estimates, the emulator's billing, running
jobs' estimates) counts with the base model's own encoding: o200k_base for gpt-4o,
gpt-4.1, gpt-5 and the o-series; cl100k_base for gpt-3.5-turbo, gpt-4, davinci-002
and babbage-002.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import lru_cache
from typing import TYPE_CHECKING

from store.errors import FinetopError

if TYPE_CHECKING:
    import tiktoken  # imported where encodings are used: `finetop --help` and file ids need none

DEFAULT_ENCODING = "o200k_base"

# Where tiktoken downloads each encoding from; its cache names the file by the SHA-1 of this URL.
ENCODING_URLS: dict[str, str] = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}

# Checked in order; the first pattern that matches the base model's name wins.
_ENCODING_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^o\d"), "o200k_base"),  # o1, o3, o4-mini, ...
    (re.compile(r"^(chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5)"), "o200k_base"),
    (re.compile(r"^(gpt-3\.5|gpt-35|gpt-4)"), "cl100k_base"),
    (re.compile(r"^(davinci-002|babbage-002)"), "cl100k_base"),
)


class EncodingUnavailable(FinetopError):
    """The token encoding files could not be loaded (offline, no cache); the hint says what to do."""

    def __init__(self, encoding_name: str, cause: BaseException | None = None) -> None:
        self.encoding_name = encoding_name
        self.cause = cause
        super().__init__(*_unavailable_message(encoding_name, cause))


def base_model_name(model_id: str) -> str:
    """`ft:<base>:<org>:<suffix>:<id>[:ckpt-step-N]` -> `<base>`; anything else unchanged."""
    if model_id.startswith("ft:"):
        return model_id.split(":")[1]
    return model_id


def encoding_name_for(model_id: str) -> str | None:
    """The tiktoken encoding a model counts with, or None when finetop does not know the model."""
    base = base_model_name(model_id.strip())
    for pattern, name in _ENCODING_RULES:
        if pattern.match(base):
            return name
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(base)
    except KeyError:
        return None


def cache_file_name(encoding_name: str) -> str | None:
    """The file name tiktoken's cache expects for an encoding (SHA-1 of its download URL)."""
    url = ENCODING_URLS.get(encoding_name)
    return hashlib.sha1(url.encode()).hexdigest() if url else None


@lru_cache(maxsize=8)
def load_encoding(encoding_name: str) -> tiktoken.Encoding:
    """Load an encoding from tiktoken's cache (or download it once); EncodingUnavailable if neither works."""
    import tiktoken

    try:
        return tiktoken.get_encoding(encoding_name)
    except Exception as error:  # requests errors, OSError, hash mismatches: all mean "files unavailable"
        raise EncodingUnavailable(encoding_name, error) from None


def encoding_for_model(model_id: str, *, fallback: str | None = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The encoding of a model's base; unknown models use `fallback` (KeyError when fallback is None)."""
    name = encoding_name_for(model_id) or fallback
    if name is None:
        raise KeyError(f"finetop does not know which token encoding {model_id} uses")
    return load_encoding(name)


class TokenCounter:
    """Counts tokens of strings with one encoding, remembering short strings that repeat.

    Roles, system prompts and tool definitions repeat on almost every line of a training
    file; counting each once makes a large file noticeably faster. The memory is bounded:
    at most `max_entries` strings of at most `max_cached_chars` characters.
    """

    def __init__(self, encoding: tiktoken.Encoding, *, max_entries: int = 4096, max_cached_chars: int = 8192):
        self.encoding = encoding
        self._encode = encoding.encode_ordinary
        self._cache: dict[str, int] = {}
        self._max_entries = max_entries
        self._max_cached_chars = max_cached_chars

    @property
    def name(self) -> str:
        return self.encoding.name

    def count(self, text: str) -> int:
        """Tokens in `text`, special-token text counted as ordinary text (as training data is)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        n = len(self._encode(text))
        if len(text) <= self._max_cached_chars:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()  # cheaper than LRU bookkeeping; the repeating strings come back at once
            self._cache[text] = n
        return n


def _unavailable_message(encoding_name: str, cause: BaseException | None) -> tuple[str, str]:
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    default_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    where = (
        f"TIKTOKEN_CACHE_DIR={cache_dir}" if cache_dir else f"TIKTOKEN_CACHE_DIR is not set; looked in {default_dir}"
    )
    failure = f"the download failed ({type(cause).__name__})" if cause is not None else "it could not be downloaded"
    message = (
        f"The {encoding_name} token encoding is not available: it is not in tiktoken's cache ({where}) and {failure}."
    )
    file_name = cache_file_name(encoding_name)
    layout = (
        f" named {file_name} (tiktoken's cache layout: the SHA-1 of {ENCODING_URLS[encoding_name]})"
        if file_name
        else " (tiktoken's cache layout: each file is named by the SHA-1 of its download URL)"
    )
    hint = (
        f"Set TIKTOKEN_CACHE_DIR to a folder holding the {encoding_name} encoding file{layout}, "
        "for example a copy of another machine's cache; or connect to the internet once so tiktoken "
        "can download and cache it."
    )
    return message, hint
