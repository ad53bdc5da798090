"""What each fine-tunable base model accepts: per-example token limit, methods, images, data shape.

Figures from ../shared/docs/pricing-and-data.md (OpenAI's fine-tuning guide). A model
missing here is "unknown": its limit is not checked and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.tokens import base_model_name

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"  # what check, upload, create and the new-job form start from
SUPERVISED_DPO = frozenset({"supervised", "dpo"})


@dataclass(frozen=True, slots=True)
class ModelFacts:
    name: str
    # Longer examples are truncated from the end; None = not published for this model.
    token_limit: int | None
    methods: frozenset[str]
    # True: vision fine-tuning documented; False: a text-only model; None: not documented either way.
    images: bool | None
    # "chat" (messages) or "completion" ({"prompt", "completion"}, the legacy base models).
    data_shape: str = "chat"


_FACTS: dict[str, ModelFacts] = {
    f.name: f
    for f in (
        ModelFacts("gpt-4o-mini-2024-07-18", 65_536, SUPERVISED_DPO, images=None),
        ModelFacts("gpt-4o-2024-08-06", 65_536, SUPERVISED_DPO, images=True),
        ModelFacts("gpt-4.1-2025-04-14", 65_536, SUPERVISED_DPO, images=None),
        ModelFacts("gpt-4.1-mini-2025-04-14", 65_536, SUPERVISED_DPO, images=None),
        ModelFacts("gpt-4.1-nano-2025-04-14", 65_536, SUPERVISED_DPO, images=None),
        ModelFacts("gpt-3.5-turbo-0125", 16_385, frozenset({"supervised"}), images=False),
        ModelFacts("gpt-3.5-turbo-1106", 16_385, frozenset({"supervised"}), images=False),
        ModelFacts("gpt-3.5-turbo-0613", 4_096, frozenset({"supervised"}), images=False),
        ModelFacts("o4-mini-2025-04-16", None, frozenset({"reinforcement"}), images=None),
        ModelFacts("davinci-002", None, frozenset({"supervised"}), images=False, data_shape="completion"),
        ModelFacts("babbage-002", None, frozenset({"supervised"}), images=False, data_shape="completion"),
    )
}

# Names the fine-tuning API accepts and resolves to a snapshot (the job's `model` comes back resolved).
_ALIASES: dict[str, str] = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "o4-mini": "o4-mini-2025-04-16",
}


def facts_for(model_id: str) -> ModelFacts | None:
    """The facts for a model id (snapshot, alias or ft: id), or None when finetop does not know it."""
    base = base_model_name(model_id.strip())
    return _FACTS.get(_ALIASES.get(base, base))


def resolved_name(model_id: str) -> str:
    """The snapshot the service would train (aliases resolved, ft: ids reduced to their base)."""
    base = base_model_name(model_id.strip())
    return _ALIASES.get(base, base)
