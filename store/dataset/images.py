"""Images in training examples: what the service accepts, and how many tokens one costs.

Token cost follows OpenAI's published rule for gpt-4o: detail "low" is 85 tokens; "high"
scales the image to fit 2048x2048, then its shortest side to 768 px, and costs
85 + 170 per 512-px tile. "auto" is counted as "high" (an upper bound). The size is read
from the header of a data: URL; a remote URL cannot be read offline, so it is counted as a
square image at high detail (765 tokens; real images cost 85 to 1,445).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct

MAX_IMAGE_BYTES = 10 * 1024 * 1024
LOW_DETAIL_TOKENS = 85
TILE_TOKENS = 170
UNKNOWN_SIZE_TOKENS = LOW_DETAIL_TOKENS + 4 * TILE_TOKENS  # a square image at high detail
DETAILS = ("low", "high", "auto")
FORMATS = {"image/jpeg": "jpeg", "image/jpg": "jpeg", "image/png": "png", "image/webp": "webp"}

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*),", re.ASCII)
# Enough base64 to reach the size fields of a JPEG behind a large EXIF block.
_HEADER_CHARS = 256 * 1024


def image_problem(url: object, detail: object) -> str | None:
    """Why the service could not use this image, or None (remote URLs are checked by the service)."""
    if detail is not None and detail not in DETAILS:
        return f"image detail {detail!r} is not one of low, high, auto"
    if not isinstance(url, str) or not url:
        return "image_url.url must be a non-empty string"
    if url.startswith(("https://", "http://")):
        return None
    if not url.startswith("data:"):
        return "an image url must be https:// or a data:image/...;base64, URL"
    match = _DATA_URL.match(url)
    if match is None or ";base64" not in match["params"]:
        return "a data: image URL must be base64-encoded (data:image/png;base64,...)"
    mime = (match["mime"] or "").lower()
    if mime not in FORMATS:
        return f"image type {mime or '(none)'} is not JPEG, PNG or WEBP"
    payload_chars = len(url) - match.end()
    size = payload_chars * 3 // 4
    if size > MAX_IMAGE_BYTES:
        return f"image is {size / 1024 / 1024:.1f} MB; the limit is 10 MB"
    head = _decode_head(url, match.end())
    if head is None:
        return "the image's base64 data is not valid"
    if _format_of(head) != FORMATS[mime]:
        return f"the data is not a {FORMATS[mime].upper()} image as its type {mime} says"
    return None


def image_tokens(url: object, detail: object) -> int:
    """Estimated tokens for one image (see the module docstring for the rule)."""
    if detail == "low":
        return LOW_DETAIL_TOKENS
    if isinstance(url, str) and url.startswith("data:"):
        match = _DATA_URL.match(url)
        head = _decode_head(url, match.end()) if match else None
        size = _dimensions(head) if head else None
        if size is not None:
            return high_detail_tokens(*size)
    return UNKNOWN_SIZE_TOKENS


def high_detail_tokens(width: int, height: int) -> int:
    """85 + 170 per 512-px tile after scaling to fit 2048x2048 and the shortest side to 768."""
    if width <= 0 or height <= 0:
        return LOW_DETAIL_TOKENS
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    tiles = math.ceil(width / 512) * math.ceil(height / 512)
    return LOW_DETAIL_TOKENS + TILE_TOKENS * tiles


def _decode_head(url: str, start: int) -> bytes | None:
    chunk = url[start : start + _HEADER_CHARS]
    chunk = chunk[: len(chunk) - len(chunk) % 4]
    try:
        return base64.b64decode(chunk, validate=True)
    except (binascii.Error, ValueError):
        return None


def _format_of(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _dimensions(head: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, JPEG or WEBP header, or None when they cannot be read."""
    kind = _format_of(head)
    try:
        if kind == "png" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if kind == "jpeg":
            return _jpeg_dimensions(head)
        if kind == "webp":
            return _webp_dimensions(head)
    except struct.error:
        return None
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # Start-of-frame markers (not DHT C4, JPG C8, DAC CC) hold height then width.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None
