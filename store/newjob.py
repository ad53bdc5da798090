"""Starting fine-tuning jobs: the create request from options (ranges checked before sending), reruns of
existing jobs, which base models can still be trained, the cost estimate, and the service's refusals in
plain words with what to do.

    options = JobOptions(model="gpt-4o-mini", training_file="file-abc", hyperparameters={"n_epochs": 3})
    request = build_request(options)           # InvalidJobOption names the field and its range
    request = rerun_request(job, suffix="v2")  # an existing job's configuration, some fields changed
    explain_refusal(api_error)                 # "You have reached today's limit of ... Try again ..."
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from store import lifecycle, pricing
from store.cache import TrainingEstimate
from store.dataset.models import facts_for
from store.errors import ApiError, FinetopError
from store.types import METHODS, Job, RemoteFile

if TYPE_CHECKING:
    from store.api import Api
    from store.cache import Cache
    from store.dataset import PreflightReport
    from store.pricing import Cost, PriceTable

AUTO = "auto"
MAX_SUFFIX = 64
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
MAX_SEED = 2_147_483_647
_SUFFIX = re.compile(r"^[A-Za-z0-9_-]+$")


class InvalidJobOption(FinetopError):
    """An option the service would refuse; `field` names it (as the form and the command line call it)."""

    def __init__(self, field_name: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.field = field_name


# --- hyperparameters --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """The values a hyperparameter accepts besides "auto"."""

    name: str
    label: str
    integer: bool
    minimum: float
    maximum: float
    exclusive_minimum: bool = False

    def describe(self) -> str:
        """ "1-50", "> 0, up to 10"."""
        if self.integer:
            return f"{self.minimum:g}-{self.maximum:g}"
        low = f"> {self.minimum:g}" if self.exclusive_minimum else f"{self.minimum:g} or more"
        return f"{low}, up to {self.maximum:g}"

    def short(self) -> str:
        """ "1-50", ">0, ≤10": for a form's label."""
        if self.integer:
            return self.describe()
        low = f">{self.minimum:g}" if self.exclusive_minimum else f"≥{self.minimum:g}"
        return f"{low}, ≤{self.maximum:g}"

    def parse(self, value: Any) -> int | float | str:
        """`value` (text from a form or the command line, or a number) as the API wants it, or "auto"."""
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", AUTO)):
            return AUTO
        text = str(value).strip()
        try:
            number: int | float = int(text) if self.integer else float(text)
        except ValueError:
            kind = "a whole number" if self.integer else "a number"
            raise InvalidJobOption(
                self.name, f"{self.label} must be {kind} ({self.describe()}) or auto, not {text!r}."
            ) from None
        too_low = number <= self.minimum if self.exclusive_minimum else number < self.minimum
        if too_low or number > self.maximum or number != number:  # NaN is neither
            raise InvalidJobOption(self.name, f"{self.label} must be {self.describe()}, not {text}.")
        return number


RANGES: dict[str, Range] = {
    r.name: r
    for r in (
        Range("n_epochs", "Epochs", True, 1, 50),
        Range("batch_size", "Batch size", True, 1, 256),
        Range("learning_rate_multiplier", "Learning rate multiplier", False, 0, 10, exclusive_minimum=True),
        Range("beta", "Beta", False, 0, 2, exclusive_minimum=True),
    )
}
# The hyperparameters finetop sets per method (reinforcement's others are carried over by reruns).
METHOD_HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
    "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"),
    "reinforcement": ("n_epochs", "batch_size", "learning_rate_multiplier"),
}
_REINFORCEMENT_ONLY = ("reasoning_effort", "compute_multiplier", "eval_interval", "eval_samples")


def parse_hyperparameter(name: str, value: Any) -> int | float | str:
    if name in RANGES:
        return RANGES[name].parse(value)
    return value  # reinforcement settings the service checks itself


# --- the other fields -------------------------------------------------------------------------


def check_suffix(suffix: str | None) -> str | None:
    """The suffix as sent (None when empty): at most 64 of A-Z a-z 0-9 - _."""
    if suffix is None or not suffix.strip():
        return None
    suffix = suffix.strip()
    if len(suffix) > MAX_SUFFIX:
        raise InvalidJobOption("suffix", f"The suffix is {len(suffix)} characters long; at most {MAX_SUFFIX}.")
    if not _SUFFIX.match(suffix):
        bad = sorted({c for c in suffix if not re.match(r"[A-Za-z0-9_-]", c)})
        raise InvalidJobOption(
            "suffix", f"The suffix may hold only letters, digits, - and _ (not {' '.join(map(repr, bad))})."
        )
    return suffix


def check_seed(seed: Any) -> int | None:
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        value = int(str(seed).strip())
    except ValueError:
        raise InvalidJobOption("seed", f"The seed must be a whole number, not {seed!r}.") from None
    if not 0 <= value <= MAX_SEED:
        raise InvalidJobOption("seed", f"The seed must be between 0 and {MAX_SEED:,}, not {value:,}.")
    return value


def parse_metadata(pairs: Iterable[str] | str | Mapping[str, str] | None) -> dict[str, str]:
    """`k=v` pairs (a list, or one string separated by commas) as the metadata object: up to 16 pairs."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        items = [(str(k), str(v)) for k, v in pairs.items()]
    else:
        texts = [p for p in (pairs.split(",") if isinstance(pairs, str) else pairs) if p.strip()]
        items = []
        for text in texts:
            key, sep, value = text.partition("=")
            if not sep or not key.strip():
                raise InvalidJobOption("metadata", f"Metadata is given as key=value, not {text.strip()!r}.")
            items.append((key.strip(), value.strip()))
    metadata = dict(items)
    if len(metadata) > MAX_METADATA_PAIRS:
        raise InvalidJobOption("metadata", f"{len(metadata)} metadata pairs; at most {MAX_METADATA_PAIRS}.")
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            raise InvalidJobOption("metadata", f"The metadata key {key[:20]!r}… is over {MAX_METADATA_KEY} characters.")
        if len(value) > MAX_METADATA_VALUE:
            raise InvalidJobOption(
                "metadata", f"The metadata value of {key!r} is over {MAX_METADATA_VALUE} characters."
            )
    return metadata


# --- the request --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobOptions:
    """What a new job is made of. Hyperparameters left out (or "auto") are the service's to choose."""

    model: str
    training_file: str
    validation_file: str | None = None
    method: str = "supervised"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # Anything else under method.<type> (reinforcement: grader, response_format), kept by reruns.
    method_settings: dict[str, Any] = field(default_factory=dict)


def problems(options: JobOptions) -> list[InvalidJobOption]:
    """Every problem with `options`, one per field (what a form shows as you type)."""
    found: list[InvalidJobOption] = []

    def check(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except InvalidJobOption as problem:
            found.append(problem)

    if not options.model.strip():
        found.append(InvalidJobOption("model", "Choose the base model to fine-tune."))
    if not options.training_file.strip():
        found.append(InvalidJobOption("training_file", "Choose a training file."))
    if options.method not in METHODS:
        found.append(InvalidJobOption("method", f"The method is one of {', '.join(METHODS)}, not {options.method!r}."))
    for name, value in options.hyperparameters.items():
        check(lambda name=name, value=value: parse_hyperparameter(name, value))
    allowed = set(METHOD_HYPERPARAMETERS.get(options.method, ())) | (
        set(_REINFORCEMENT_ONLY) if options.method == "reinforcement" else set()
    )
    for name, value in options.hyperparameters.items():
        if name not in allowed and str(value).strip().lower() not in ("", AUTO, "none"):
            found.append(InvalidJobOption(name, f"{_label(name)} does not apply to the {options.method} method."))
    check(lambda: check_suffix(options.suffix))
    check(lambda: check_seed(options.seed))
    check(lambda: parse_metadata(options.metadata))
    if options.method == "reinforcement" and "grader" not in options.method_settings:
        found.append(
            InvalidJobOption(
                "method",
                "Reinforcement fine-tuning needs a grader.",
                "Give one with --grader (JSON, or @file.json), or rerun a reinforcement job to reuse its grader.",
            )
        )
    return found


def build_request(options: JobOptions) -> dict[str, Any]:
    """The body of POST /fine_tuning/jobs; raises the first InvalidJobOption before anything is sent."""
    found = problems(options)
    if found:
        raise found[0]
    hyperparameters = {
        name: parse_hyperparameter(name, value)
        for name, value in options.hyperparameters.items()
        if str(value).strip().lower() not in ("", AUTO, "none")
    }
    settings = {k: v for k, v in options.method_settings.items() if v is not None and k != "hyperparameters"}
    if hyperparameters:
        settings["hyperparameters"] = hyperparameters
    request: dict[str, Any] = {
        "model": options.model.strip(),
        "training_file": options.training_file.strip(),
        "method": {"type": options.method, options.method: settings},
    }
    if options.validation_file and options.validation_file.strip():
        request["validation_file"] = options.validation_file.strip()
    suffix = check_suffix(options.suffix)
    if suffix:
        request["suffix"] = suffix
    seed = check_seed(options.seed)
    if seed is not None:
        request["seed"] = seed
    metadata = parse_metadata(options.metadata)
    if metadata:
        request["metadata"] = metadata
    return request


def options_from_job(job: Job) -> JobOptions:
    """An existing job's configuration, from the API's own object (concrete hyperparameters once it ran)."""
    raw = job.raw or {}
    method_raw = raw.get("method") if isinstance(raw.get("method"), dict) else {}
    kind = method_raw.get("type") or job.method or "supervised"
    settings = dict(method_raw.get(kind) or {})
    hyperparameters = dict(settings.pop("hyperparameters", None) or job.hyperparameters or {})
    if kind != "reinforcement":
        settings = {}  # supervised and DPO carry only hyperparameters
    return JobOptions(
        model=job.model,
        training_file=job.training_file,
        validation_file=job.validation_file,
        method=kind,
        hyperparameters={k: v for k, v in hyperparameters.items() if v is not None},
        suffix=job.suffix,
        seed=job.seed,
        metadata=dict(job.metadata or {}),
        method_settings={k: v for k, v in settings.items() if v is not None},
    )


def rerun_options(job: Job, **changes: Any) -> JobOptions:
    """`job`'s configuration with `changes` applied. None leaves a field as it was; "" clears the validation
    file or the suffix; a hyperparameter set to "auto" goes back to the service's choice. A change of
    method keeps the hyperparameters the new method has."""
    options = options_from_job(job)
    unknown = set(changes) - {
        "model",
        "training_file",
        "validation_file",
        "method",
        "suffix",
        "seed",
        "metadata",
        "method_settings",
        *RANGES,
        *_REINFORCEMENT_ONLY,
    }
    if unknown:
        raise TypeError(f"rerun_options() got unknown fields: {', '.join(sorted(unknown))}")
    hyperparameters = dict(options.hyperparameters)
    for name in (*RANGES, *_REINFORCEMENT_ONLY):
        if changes.get(name) is not None:
            hyperparameters[name] = changes[name]
    method = changes.get("method") or options.method
    method_settings = changes.get("method_settings") or options.method_settings
    if method != options.method:
        keep = set(METHOD_HYPERPARAMETERS[method]) | (set(_REINFORCEMENT_ONLY) if method == "reinforcement" else set())
        hyperparameters = {k: v for k, v in hyperparameters.items() if k in keep}
        if method != "reinforcement":
            method_settings = {}
    fields: dict[str, Any] = {
        name: changes[name]
        for name in ("model", "training_file", "validation_file", "suffix", "seed", "metadata")
        if changes.get(name) is not None
    }
    for name in ("validation_file", "suffix"):
        if fields.get(name) == "":
            fields[name] = None
    return JobOptions(
        **{**_as_dict(options), **fields},  # type: ignore[arg-type]
        method=method,
        hyperparameters=hyperparameters,
        method_settings=method_settings,
    )


def rerun_request(job: Job, **changes: Any) -> dict[str, Any]:
    """The create request that starts a new job like `job`, with `changes` (see rerun_options)."""
    return build_request(rerun_options(job, **changes))


def _as_dict(options: JobOptions) -> dict[str, Any]:
    return {
        "model": options.model,
        "training_file": options.training_file,
        "validation_file": options.validation_file,
        "suffix": options.suffix,
        "seed": options.seed,
        "metadata": options.metadata,
    }


def _label(name: str) -> str:
    return RANGES[name].label if name in RANGES else name.replace("_", " ").capitalize()


# --- which base models can still be trained ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseModelChoice:
    model: str
    trainable: bool
    methods: tuple[str, ...]
    last_day: date | None  # the last day a job can be started; None when no end is known
    days_left: int | None
    why: str  # "training until 2027-01-05 (47 days left)", or why it cannot be trained


def base_model_choices(today: date, prices: PriceTable | None = None) -> list[BaseModelChoice]:
    """Every base model the price table can price training for, trainable ones first (by name)."""
    table = prices if prices is not None else pricing.load_price_table()
    models = sorted(
        {row.model for row in table.history() if row.kind == "training" and not row.model.startswith("ft:")}
    )
    choices = []
    for model in models:
        window = lifecycle.training_window(today, model)
        facts = facts_for(model)
        methods = tuple(m for m in METHODS if facts is None or m in facts.methods)
        trainable = window.days_left is None or window.days_left > 0
        if not trainable:
            ended = window.last_day + timedelta(days=1) if window.last_day else None
            retired = lifecycle.model_lifecycle(model, today)
            if not retired.serving and retired.retires_on == ended:
                why = f"retired {ended.isoformat()}: no new training"
            else:
                why = f"new training ended {ended.isoformat() if ended else 'already'}"
                if not retired.serving and retired.retires_on is not None:
                    why += f"; fine-tunes retired {retired.retires_on.isoformat()}"
        elif window.last_day is not None:
            days = "1 day" if window.days_left == 1 else f"{window.days_left} days"
            why = f"can be trained until {window.last_day.isoformat()} ({days} left)"
        else:
            why = "no end of training known"
        choices.append(BaseModelChoice(model, trainable, methods, window.last_day, window.days_left, why))
    return sorted(choices, key=lambda c: (not c.trainable, c.model))


def trainable_models(today: date, prices: PriceTable | None = None) -> list[str]:
    return [choice.model for choice in base_model_choices(today, prices) if choice.trainable]


# --- the cost estimate -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What preflight expects the job to bill: tokens x the training price in force today."""

    tokens: int | None  # billed tokens (per epoch x epochs); None when they cannot be known
    epochs: int | None
    cost: Cost | None
    note: str  # the working ("1,234 tokens x $3.00 per 1M = $0.0037") or why there is no figure
    encoding: str | None = None

    def label(self) -> str:
        if self.cost is not None and self.cost.amount is not None:
            return self.cost.label()
        return "cannot be estimated"

    def to_save(self, method: str) -> TrainingEstimate | None:
        """What the cache keeps beside the job created from it (its overview compares it with the bill)."""
        if self.tokens is None:
            return None
        return TrainingEstimate(
            job_id="",
            estimated_tokens=self.tokens,
            method=method,
            counted_at=int(time.time()),
            encoding=self.encoding,
            epochs=self.epochs,
            source="preflight",
        )


def estimate_from_report(report: PreflightReport) -> CostEstimate:
    """The training-cost estimate of a preflight report (reinforcement: billed per hour, so no figure)."""
    encoding = report.tokens.encoding if report.tokens else None
    if report.method == "reinforcement":
        return CostEstimate(None, report.epochs, None, report.cost_note, encoding)
    return CostEstimate(report.billed_tokens, report.epochs, report.cost, report.cost_note, encoding)


# --- waiting for a fresh file ------------------------------------------------------------------


def wait_until_processed(
    api: Api,
    file: RemoteFile,
    *,
    timeout: float = 300.0,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> RemoteFile:
    """A freshly uploaded file can be `uploaded` for a while; jobs need it `processed` (or no status at all)."""
    deadline = time.monotonic() + timeout
    while file.status not in (None, "processed"):
        if file.status == "error":
            details = (file.raw or {}).get("status_details") or "no details given"
            raise FinetopError(
                f"The service could not process {file.filename} ({file.id}): {details}.",
                "Check the file with `finetop check`, then upload it again.",
            )
        if time.monotonic() >= deadline:
            raise FinetopError(
                f"{file.filename} ({file.id}) is still being processed after {timeout:.0f} s.",
                f"Try again in a few minutes with --training-file {file.id}.",
            )
        sleep(interval)
        file = api.retrieve_file(file.id)
    return file


# --- refusals in plain words -------------------------------------------------------------------


def explain_refusal(error: ApiError, *, today: date | None = None) -> str:
    """What the service's refusal means for the user, and what to do about it."""
    today = today or datetime.now(UTC).date()
    text = (error.message or "").lower()
    code = (error.code or "").lower()
    param = error.param or ""

    if code == "daily_rate_limit_exceeded" or "requests per day" in text:
        limit = re.search(r"maximum of (\d+)", error.message)
        model = re.search(r"model '([^']+)'", error.message)
        midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        return (
            f"Today's limit of {limit.group(1) + ' ' if limit else ''}new fine-tuning jobs"
            f"{' for ' + model.group(1) if model else ''} is used up. Nothing was created. Try again after "
            f"midnight UTC ({midnight:%Y-%m-%d %H:%M} UTC), or use another base model, whose limit is separate."
        )
    if any(word in text for word in ("concurrent", "simultaneous", "active fine-tuning jobs", "running jobs")) or (
        "too many" in text and "job" in text
    ):
        return (
            "This organization already runs as many fine-tuning jobs at once as it may. Nothing was created. "
            "Wait for a running job to finish (or cancel or pause one), then try again."
        )
    if code == "fine_tuning_unavailable" or "no longer available: no new training" in text:
        return (
            f"Self-serve fine-tuning has ended: no new training job can start after "
            f"{_wind_down_date(today)}. Your fine-tuned models keep serving until their base model retires "
            "(see the Models section). To train again, use Azure OpenAI or another OpenAI-compatible endpoint "
            "(a separate finetop profile)."
        )
    if any(word in text for word in ("not eligible", "never fine-tuned", "inactive", "not allowed to create")):
        return (
            "This organization may not start fine-tuning jobs any more: since 2026-05-07 organizations that never "
            "fine-tuned cannot, and since 2026-07-02 neither can those without fine-tuned-model inference in the "
            f"last 60 days; from {_wind_down_date(today)} nobody can. finetop cannot change this: ask OpenAI "
            "support, or train on Azure OpenAI or another compatible endpoint (a separate profile)."
        )
    if code == "model_not_available" or "no longer available for fine-tuning" in text:
        still = ", ".join(trainable_models(today)) or "none"
        if "no longer" in text or "ended" in text or "retired" in text:
            return (
                f"{_quoted_model(error.message) or 'This base model'} can no longer be fine-tuned ({_ended(error)}). "
                f"Choose a base that still trains: {still}."
            )
        return (
            f"{_quoted_model(error.message) or 'That model'} cannot be fine-tuned (unknown, or not offered for "
            f"fine-tuning). Choose one of: {still}."
        )
    if code == "model_not_found":
        still = ", ".join(trainable_models(today)) or "none"
        return f"The service does not know that model, or this key cannot see it. Choose one of: {still}."
    if "does not support" in text and "method" in text:
        return f"{error.message} Choose a method the model supports, or another model (see `finetop check`)."
    if param in ("training_file", "validation_file"):
        role = "training" if param == "training_file" else "validation"
        if "processing" in text or "not ready" in text or "being processed" in text:
            return (
                f"The {role} file is still being processed by the service. Wait a minute, then create the job "
                "again with the same file id."
            )
        if "purpose" in text:
            return (
                f"The {role} file was uploaded for another purpose; fine-tuning needs purpose fine-tune. Upload it "
                "again with `finetop upload FILE` (or give the local path to `finetop create`)."
            )
        return (
            f"The service does not have that {role} file (it may have been deleted, or belong to another "
            "project). Upload it again with `finetop upload FILE`, or give the local path instead of the id."
        )
    if ("cannot be" in text and param == "fine_tuning_job_id") or ("because it is" in text and "job" in text):
        state = re.search(r"because it is (\w+)", error.message)
        return (
            f"The job is {state.group(1) if state else 'in another state'} now, so that is not possible. "
            "Refresh to see its current status: cancel works until a job ends, pause only while it runs, "
            "resume only when paused."
        )
    if param.startswith(("method.", "hyperparameters", "suffix", "seed", "metadata")):
        return f"The service refused {param}: {error.message} Change that setting and try again."
    if error.kind == "quota":
        return "The account is out of credit or over its quota. Check billing on the platform, then try again."
    return error.message + (f" {error.hint}" if error.hint else "")


def _quoted_model(message: str) -> str | None:
    match = re.search(r"Model (\S+?) (?:is|does)", message)
    return match.group(1) if match else None


def _ended(error: ApiError) -> str:
    match = re.search(r"\(([^)]*\d{4}-\d\d-\d\d[^)]*)\)", error.message)
    return match.group(1) if match else "its training window has closed"


def _wind_down_date(today: date) -> str:
    closing = lifecycle.training_window(today)
    return (closing.last_day + timedelta(days=1)).isoformat() if closing.last_day else "the wind-down"


# --- estimate vs. real -------------------------------------------------------------------------


def training_estimate(cache: Cache, job: Job, *, now: int | None = None) -> TrainingEstimate | None:
    """Preflight's token estimate for `job`: the one saved when finetop created it, else counted once from the
    archived training file and saved (never for reinforcement, which is billed by the hour)."""
    saved = cache.estimate(job.id)
    if saved is not None or job.method == "reinforcement" or not job.training_file:
        return saved
    archived = cache.content(job.training_file)
    if archived is None or not archived.path.exists():
        return None
    from store.dataset import estimate_trained_tokens
    from store.tokens import DEFAULT_ENCODING, encoding_name_for

    epochs = job.hyperparameters.get("n_epochs")
    epochs = epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None
    try:
        tokens = estimate_trained_tokens(archived.path, job.model, job.method, n_epochs=epochs)
    except FinetopError:  # an encoding that cannot be loaded offline, an unreadable blob
        return None
    estimate = TrainingEstimate(
        job_id=job.id,
        estimated_tokens=tokens,
        method=job.method,
        counted_at=now or int(time.time()),
        encoding=encoding_name_for(job.model) or DEFAULT_ENCODING,
        epochs=epochs,
        source="archive",
    )
    cache.save_estimate(estimate)
    return estimate


def estimate_error(estimate: int, real: int) -> float | None:
    """How far off the estimate was, as a fraction of the real figure (-0.003 = 0.3 % too low)."""
    return (estimate - real) / real if real else None
