"""How a JSONL line reads on screen: chat examples laid out by role, DPO and RFT examples, or highlighted JSON.

Pure functions from bytes to Rich renderables (safe to call on a worker thread). Whatever the
file holds, nothing here raises: a line that is not JSON, not UTF-8 or too long says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.padding import Padding
from rich.text import Text

from tui import format as fmt
from tui.line_index import LineRead

# Meaning never rests on colour alone: the role's name is always written out.
ROLE_STYLES = {
    "system": "bold magenta",
    "developer": "bold magenta",
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold yellow",
    "function": "bold yellow",
}
CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output", "preferred_completion"})
MAX_CONTENT_CHARS = 20_000  # of one message; the rest is counted, not drawn
LONG_STRING = 2_000  # in the JSON view, longer strings (base64 images) are cut to their start
_DATA_URL = re.compile(r"^data:([\w/+.-]+)(;base64)?,")
_SPACES = re.compile(r"\s+")


def parse(line: LineRead) -> tuple[Any, str | None]:
    """The line's JSON value and None, or (None, why it cannot be shown as JSON)."""
    if line.truncated:
        return None, f"Line {line.number:,} is {fmt.human_size(line.length)} long; showing its start as text."
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"Line {line.number:,} is not valid UTF-8 (byte {error.start:,})."
    if not text.strip():
        return None, f"Line {line.number:,} is blank (fine-tuning rejects blank lines)."
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, f"Line {line.number:,} is not valid JSON: {error.msg} at column {error.colno}."


def render_line(line: LineRead, *, as_json: bool = False) -> RenderableType:
    """One line in full: a chat/DPO/RFT example laid out for reading, or JSON (`as_json`), or the raw text."""
    value, problem = parse(line)
    if problem is not None:
        raw = Text(line.data.decode("utf-8", errors="replace")[:MAX_CONTENT_CHARS])
        return Group(Text(problem, style="bold yellow"), Text(""), raw)
    if as_json or not isinstance(value, dict):
        return render_json(value)
    if isinstance(value.get("input"), dict) and ("preferred_output" in value or "preferred_completion" in value):
        return _render_dpo(value)
    if isinstance(value.get("messages"), list):
        return _render_chat(value)
    return render_json(value)


def render_json(value: Any) -> RenderableType:
    """Highlighted, indented JSON with very long strings (base64 images) cut short; long lines wrap."""
    shown = JSON.from_data(_shortened(value), indent=2, ensure_ascii=False)
    shown.text.no_wrap = False  # rich draws JSON unwrapped: a long string would run off the screen
    shown.text.overflow = "fold"
    return shown


def summary(line: LineRead, width: int = 200) -> Text:
    """One line for a list of examples: who says what, or the start of the raw line."""
    value, problem = parse(line)
    if problem is not None:
        return Text(_flat(problem, width), style="yellow")
    if isinstance(value, dict):
        if isinstance(value.get("input"), dict):
            return _summary_of_messages(_messages(value["input"].get("messages")), width, prefix="DPO ")
        if isinstance(value.get("messages"), list):
            return _summary_of_messages(_messages(value["messages"]), width)
    return Text(_flat(json.dumps(value, ensure_ascii=False), width))


# -- chat ----------------------------------------------------------------------------------


def _render_chat(value: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    tools = _tool_names(value)
    if tools:
        parts.append(Text.assemble(("tools ", "dim"), ", ".join(tools)))
        parallel = value.get("parallel_tool_calls")
        if parallel is not None:
            parts[-1].append(f"  (parallel calls {'on' if parallel else 'off'})", style="dim")
        parts.append(Text(""))
    parts += _render_messages(_messages(value.get("messages")))
    extra = {k: v for k, v in value.items() if k not in CHAT_KEYS}
    if extra:
        # Reinforcement examples carry reference data for the graders beside the prompt.
        parts += [Text(""), Text("other fields (reference data for graders)", style="dim"), render_json(extra)]
    return Group(*parts)


def _render_dpo(value: dict[str, Any]) -> RenderableType:
    prompt = value["input"]
    parts: list[RenderableType] = [Text("input", style="bold reverse")]
    tools = _tool_names(prompt)
    if tools:
        parts.append(Text.assemble(("tools ", "dim"), ", ".join(tools)))
    parts += _render_messages(_messages(prompt.get("messages")))
    for key, label, style in (
        ("preferred_output", "preferred output", "bold green"),
        ("preferred_completion", "preferred output (old spelling: preferred_completion)", "bold green"),
        ("non_preferred_output", "non-preferred output", "bold red"),
        ("non_preferred_completion", "non-preferred output (old spelling)", "bold red"),
    ):
        if key in value:
            parts += [Text(""), Text(label, style=style + " reverse"), *_render_messages(_messages(value[key]))]
    extra = {k: v for k, v in value.items() if k not in DPO_KEYS | {"non_preferred_completion"}}
    if extra:
        parts += [Text(""), Text("other fields", style="dim"), render_json(extra)]
    return Group(*parts)


def _render_messages(messages: list[dict[str, Any]]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for index, message in enumerate(messages):
        if index:
            parts.append(Text(""))
        parts.append(_role_line(message))
        body = _content(message.get("content"))
        if body is not None:
            parts.append(Padding(body, (0, 0, 0, 2)))
        for call in message.get("tool_calls") or []:
            parts.append(Padding(_tool_call(call), (0, 0, 0, 2)))
        if isinstance(message.get("function_call"), dict):
            parts.append(Padding(_function_call(message["function_call"]), (0, 0, 0, 2)))
    return parts


def _role_line(message: dict[str, Any]) -> Text:
    role = str(message.get("role") or "?")
    line = Text(role, style=ROLE_STYLES.get(role, "bold"))
    if "weight" in message:
        weight = message["weight"]
        line.append(f"  weight {weight}", style="dim" if weight else "yellow")
        if weight == 0:
            line.append(" (not trained on)", style="dim")
    for key in ("name", "tool_call_id"):
        if message.get(key):
            line.append(f"  {key.replace('_', ' ')} {message[key]}", style="dim")
    return line


def _content(content: Any) -> RenderableType | None:
    if content is None:
        return None
    if isinstance(content, str):
        return _long_text(content)
    if isinstance(content, list):
        pieces: list[RenderableType] = []
        for part in content:
            pieces.append(_content_part(part))
        return Group(*pieces)
    return render_json(content)


def _content_part(part: Any) -> RenderableType:
    if not isinstance(part, dict):
        return render_json(part)
    kind = part.get("type")
    if kind == "text":
        return _long_text(str(part.get("text", "")))
    if kind == "image_url":
        image = part.get("image_url") or {}
        url = image.get("url", "") if isinstance(image, dict) else str(image)
        detail = image.get("detail") if isinstance(image, dict) else None
        label = Text.assemble(("[image] ", "bold blue"), _describe_url(str(url)))
        if detail:
            label.append(f"  detail {detail}", style="dim")
        return label
    return Text.assemble((f"[{kind or 'part'}] ", "bold blue"), _flat(json.dumps(_shortened(part)), 200))


def _tool_call(call: Any) -> RenderableType:
    if not isinstance(call, dict):
        return render_json(call)
    function = call.get("function") or {}
    name = function.get("name", "?") if isinstance(function, dict) else "?"
    head = Text.assemble(("→ call ", "bold yellow"), (str(name), "bold"))
    if call.get("id"):
        head.append(f"  id {call['id']}", style="dim")
    return Group(head, _arguments(function.get("arguments") if isinstance(function, dict) else None))


def _function_call(call: dict[str, Any]) -> RenderableType:
    head = Text.assemble(("→ function call ", "bold yellow"), (str(call.get("name", "?")), "bold"))
    return Group(head, _arguments(call.get("arguments")))


def _arguments(arguments: Any) -> RenderableType:
    if isinstance(arguments, str):
        try:
            return Padding(render_json(json.loads(arguments)), (0, 0, 0, 2))
        except json.JSONDecodeError:
            return Padding(Text(arguments), (0, 0, 0, 2))
    if arguments is None:
        return Text("")
    return Padding(render_json(arguments), (0, 0, 0, 2))


def _long_text(text: str) -> Text:
    if len(text) <= MAX_CONTENT_CHARS:
        return Text(text)
    shown = Text(text[:MAX_CONTENT_CHARS])
    shown.append(f"\n… {len(text) - MAX_CONTENT_CHARS:,} more characters (j shows the JSON)", style="dim italic")
    return shown


# -- helpers -------------------------------------------------------------------------------


def _messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [m if isinstance(m, dict) else {"role": "?", "content": m} for m in value]


def _tool_names(value: dict[str, Any]) -> list[str]:
    names = []
    for tool in value.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and function.get("name"):
            names.append(str(function["name"]))
    for function in value.get("functions") or []:
        if isinstance(function, dict) and function.get("name"):
            names.append(f"{function['name']} (legacy function)")
    return names


def _describe_url(url: str) -> str:
    match = _DATA_URL.match(url)
    if match:
        payload = len(url) - match.end()
        size = payload * 3 // 4 if match.group(2) else payload
        return f"{match.group(1)} inline, {fmt.human_size(size)}"
    return url if len(url) <= 200 else url[:199] + "…"


def _shortened(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > LONG_STRING:
            if _DATA_URL.match(value):
                return f"{value[: value.index(',') + 1]}… ({fmt.human_size(len(value))})"
            return f"{value[:LONG_STRING]}… ({len(value) - LONG_STRING:,} more characters)"
        return value
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    return value


def _flat(text: str, width: int) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _summary_of_messages(messages: list[dict[str, Any]], width: int, prefix: str = "") -> Text:
    """`3 msgs  user: The rear rack…  assistant: No problem…` (system prompts are usually all alike: skipped)."""
    line = Text(f"{prefix}{len(messages)} msg{'s' if len(messages) != 1 else ''} ", style="dim", no_wrap=True)
    for message in messages:
        role = str(message.get("role") or "?")
        if role in ("system", "developer") and len(messages) > 1:
            continue
        if len(line) >= width:
            break
        line.append(" ")
        line.append(f"{role}: ", style=ROLE_STYLES.get(role, "bold"))
        line.append(_flat(_plain_content(message), max(10, width - len(line))))
    line.truncate(width, overflow="ellipsis")
    return line


def _plain_content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(
            str(p.get("text", "[image]" if p.get("type") == "image_url" else f"[{p.get('type')}]"))
            for p in content
            if isinstance(p, dict)
        )
    if content is None and message.get("tool_calls"):
        names = [str((c.get("function") or {}).get("name", "?")) for c in message["tool_calls"] if isinstance(c, dict)]
        content = "→ " + ", ".join(names)
    return str(content or "")
