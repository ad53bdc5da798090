"""The config file (config.toml): profiles, the current profile, UI settings and key bindings.

A profile is one account: where its API lives and how to get its keys. Keys themselves
are never written here; a profile names an environment variable, an OS keyring entry or
a command that prints the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from store.errors import ConfigError
from store.paths import config_dir, ensure_private_dir

DEFAULT_PROFILE = "default"
PROVIDERS = ("openai", "azure", "compatible")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Profile:
    name: str
    provider: str = "openai"
    base_url: str | None = None  # None: OPENAI_BASE_URL, else the SDK's default
    organization: str | None = None  # None: OPENAI_ORG_ID
    project: str | None = None  # None: OPENAI_PROJECT_ID
    api_key_env: str = "OPENAI_API_KEY"
    api_key_command: str | None = None
    keyring: bool = False  # look the key up in the OS keyring (service "finetop", user = profile name)
    admin_key_env: str = "OPENAI_ADMIN_KEY"
    admin_key_command: str | None = None
    azure_api_version: str | None = None
    poll_seconds: float = 5.0  # how often active jobs are polled

    def effective_base_url(self) -> str | None:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def effective_organization(self) -> str | None:
        return self.organization or os.environ.get("OPENAI_ORG_ID") or None

    def effective_project(self) -> str | None:
        return self.project or os.environ.get("OPENAI_PROJECT_ID") or None

    def describe_endpoint(self) -> str:
        return self.effective_base_url() or "https://api.openai.com/v1"

    def to_toml(self) -> dict[str, Any]:
        defaults = Profile(name=self.name)
        return {k: v for k, v in asdict(self).items() if k != "name" and v is not None and v != getattr(defaults, k)}


@dataclass
class Config:
    path: Path
    current_profile: str = DEFAULT_PROFILE
    profiles: dict[str, Profile] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. {"job.cancel": "x"}

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, or the current one. The implicit `default` profile always exists."""
        name = name or os.environ.get("FINETOP_PROFILE") or self.current_profile
        if name in self.profiles:
            return self.profiles[name]
        if name == DEFAULT_PROFILE:
            return Profile(name=DEFAULT_PROFILE)
        known = ", ".join(sorted({DEFAULT_PROFILE, *self.profiles}))
        raise ConfigError(f"There is no profile named {name!r}.", f"Known profiles: {known}.")

    def all_profiles(self) -> list[Profile]:
        if DEFAULT_PROFILE in self.profiles:
            return list(self.profiles.values())
        return [Profile(name=DEFAULT_PROFILE), *self.profiles.values()]


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(path=path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}.", "Fix or remove it.") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from exc

    known = {f.name for f in fields(Profile)}
    profiles: dict[str, Profile] = {}
    for name, raw in (data.get("profiles") or {}).items():
        if not isinstance(raw, dict):
            raise ConfigError(f"In {path}, [profiles.{name}] must be a table.")
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(
                f"In {path}, profile {name!r} has unknown settings: {', '.join(sorted(unknown))}.",
                f"Known settings: {', '.join(sorted(known - {'name'}))}.",
            )
        profiles[name] = Profile(name=name, **raw)
        validate_profile(profiles[name])
    return Config(
        path=path,
        current_profile=str(data.get("current_profile") or DEFAULT_PROFILE),
        profiles=profiles,
        ui=dict(data.get("ui") or {}),
        keys={str(k): str(v) for k, v in (data.get("keys") or {}).items()},
    )


def validate_profile(profile: Profile) -> None:
    if not _PROFILE_NAME.match(profile.name):
        raise ConfigError(
            f"{profile.name!r} is not a usable profile name.",
            "Use letters, digits, '.', '_' or '-' (up to 64 characters).",
        )
    if profile.provider not in PROVIDERS:
        raise ConfigError(
            f"Profile {profile.name!r} has provider {profile.provider!r}.",
            f"Use one of: {', '.join(PROVIDERS)}.",
        )
    if profile.provider == "azure" and not profile.base_url:
        raise ConfigError(
            f"Azure profile {profile.name!r} needs base_url (your resource endpoint).",
            "For example https://my-resource.openai.azure.com",
        )


def save_config(config: Config) -> None:
    """Write the config atomically, readable by its owner only."""
    data: dict[str, Any] = {"current_profile": config.current_profile}
    if config.ui:
        data["ui"] = config.ui
    if config.keys:
        data["keys"] = config.keys
    data["profiles"] = {name: p.to_toml() for name, p in config.profiles.items()}
    ensure_private_dir(config.path.parent)
    tmp = config.path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        tomli_w.dump(data, out)
    os.replace(tmp, config.path)
