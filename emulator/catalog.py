"""The base models one could fine-tune: aliases, encodings, per-example limits, methods and lifecycle dates.

Dates come from OpenAI's deprecations page as of November 2026 (see
../shared/docs/pricing-and-data.md): babbage-002/davinci-002 stopped training on
2024-10-28; fine-tunes of gpt-3.5-turbo, gpt-4.1-nano, babbage-002, davinci-002 and
o4-mini were retired on 2026-10-23; nobody can start a training job after 2027-01-06.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIND_DOWN = date(2027, 1, 6)  # no new training jobs for anyone from this day
RETIRED_2026_10_23 = date(2026, 10, 23)


@dataclass(frozen=True, slots=True)
class BaseModel:
    snapshot: str
    aliases: tuple[str, ...]
    encoding: str
    example_token_limit: int
    methods: tuple[str, ...]
    price_model: str  # the name the price table uses
    created: int  # /models `created`
    owned_by: str
    tokens_per_second: float  # how fast the simulation trains it
    training_ended: date | None = None
    fine_tunes_retired: date | None = None

    def last_training_day(self) -> date:
        """The last day a new job may be created on this base (exclusive bound)."""
        ends = [d for d in (self.training_ended, self.fine_tunes_retired, WIND_DOWN) if d is not None]
        return min(ends)


_SUPERVISED = ("supervised",)
_PREFERENCE = ("supervised", "dpo")

BASE_MODELS: tuple[BaseModel, ...] = (
    BaseModel("gpt-4o-mini-2024-07-18", ("gpt-4o-mini",), "o200k_base", 65536, _PREFERENCE,
              "gpt-4o-mini-2024-07-18", 1721172741, "system", 2200.0),
    BaseModel("gpt-4o-2024-08-06", ("gpt-4o",), "o200k_base", 65536, _PREFERENCE,
              "gpt-4o-2024-08-06", 1722814719, "system", 700.0),
    BaseModel("gpt-4.1-2025-04-14", ("gpt-4.1",), "o200k_base", 65536, _PREFERENCE,
              "gpt-4.1-2025-04-14", 1744316542, "system", 650.0),
    BaseModel("gpt-4.1-mini-2025-04-14", ("gpt-4.1-mini",), "o200k_base", 65536, _PREFERENCE,
              "gpt-4.1-mini-2025-04-14", 1744317547, "system", 2000.0),
    BaseModel("gpt-4.1-nano-2025-04-14", ("gpt-4.1-nano",), "o200k_base", 65536, _PREFERENCE,
              "gpt-4.1-nano-2025-04-14", 1744321707, "system", 4000.0,
              fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("o4-mini-2025-04-16", ("o4-mini",), "o200k_base", 65536, ("reinforcement",),
              "o4-mini-2025-04-16", 1744133506, "system", 300.0,
              fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("gpt-3.5-turbo-0125", ("gpt-3.5-turbo",), "cl100k_base", 16385, _SUPERVISED,
              "gpt-3.5-turbo", 1706048358, "system", 1500.0,
              fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("gpt-3.5-turbo-1106", (), "cl100k_base", 16385, _SUPERVISED,
              "gpt-3.5-turbo", 1698959748, "system", 1500.0,
              fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("gpt-3.5-turbo-0613", (), "cl100k_base", 4096, _SUPERVISED,
              "gpt-3.5-turbo", 1686587434, "openai", 1500.0,
              fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("davinci-002", (), "cl100k_base", 4096, _SUPERVISED,
              "davinci-002", 1692634301, "system", 1200.0,
              training_ended=date(2024, 10, 28), fine_tunes_retired=RETIRED_2026_10_23),
    BaseModel("babbage-002", (), "cl100k_base", 4096, _SUPERVISED,
              "babbage-002", 1692634615, "system", 3000.0,
              training_ended=date(2024, 10, 28), fine_tunes_retired=RETIRED_2026_10_23),
)  # fmt: skip

_BY_NAME: dict[str, BaseModel] = {}
for _model in BASE_MODELS:
    _BY_NAME[_model.snapshot] = _model
    for _alias in _model.aliases:
        _BY_NAME[_alias] = _model


def resolve(name: str) -> BaseModel | None:
    """The base model for an alias or snapshot name (gpt-3.5-turbo -> gpt-3.5-turbo-0125)."""
    return _BY_NAME.get(name)


def base_of(model_id: str) -> BaseModel | None:
    """The base model of a base or fine-tuned model id (`ft:<base>:<org>:<suffix>:<id>[:ckpt-step-N]`)."""
    if model_id.startswith("ft:"):
        parts = model_id.split(":")
        return resolve(parts[1]) if len(parts) > 1 else None
    return resolve(model_id)
