"""Finding a profile's API keys: a command, the OS keyring, or the environment. Never a file of ours."""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

from store.config import Profile
from store.errors import CredentialError

KEYRING_SERVICE = "finetop"
_COMMAND_TIMEOUT = 30


@dataclass(frozen=True)
class Keys:
    api_key: str
    admin_key: str | None
    source: str  # where the API key came from, for `profiles list` (never the key itself)


def resolve_keys(profile: Profile) -> Keys:
    """The profile's keys, or a CredentialError that says how to provide one."""
    api_key, source = _api_key(profile)
    if not api_key:
        raise CredentialError(
            f"No API key for profile {profile.name!r}.",
            f"Set {profile.api_key_env}, or run `finetop profiles add {profile.name} --key-command ...` "
            "(or --keyring) to say where to find it.",
        )
    return Keys(api_key=api_key, admin_key=_admin_key(profile), source=source)


def describe_key_source(profile: Profile) -> str:
    if profile.api_key_command:
        return f"command: {profile.api_key_command}"
    if profile.keyring:
        return f"keyring: {KEYRING_SERVICE}/{profile.name}"
    return f"env: {profile.api_key_env}"


def _api_key(profile: Profile) -> tuple[str | None, str]:
    if profile.api_key_command:
        return _run_key_command(profile.api_key_command, "api_key_command"), "command"
    if profile.keyring:
        return keyring_get(profile.name), "keyring"
    return os.environ.get(profile.api_key_env) or None, f"env {profile.api_key_env}"


def _admin_key(profile: Profile) -> str | None:
    if profile.admin_key_command:
        return _run_key_command(profile.admin_key_command, "admin_key_command")
    if profile.keyring:
        admin = keyring_get(f"{profile.name}:admin")
        if admin:
            return admin
    return os.environ.get(profile.admin_key_env) or None


def _run_key_command(command: str, setting: str) -> str:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError as exc:
        raise CredentialError(f"The {setting} {command!r} could not be started: {exc.strerror}.") from exc
    except subprocess.TimeoutExpired as exc:
        raise CredentialError(f"The {setting} {command!r} did not finish in {_COMMAND_TIMEOUT} s.") from exc
    key = done.stdout.strip()
    if done.returncode != 0 or not key:
        # stderr may help the user; stdout might hold a partial secret, so it is never shown.
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise CredentialError(f"The {setting} {command!r} printed no key ({detail[0]}).")
    return key


def _keyring():
    try:
        import keyring
        import keyring.errors
    except ImportError as exc:
        raise CredentialError(
            "This profile keeps its key in the OS keyring, but the keyring package is not installed.",
            "Install it with `pip install 'finetop[keyring]'`.",
        ) from exc
    return keyring


def keyring_get(user: str) -> str | None:
    keyring = _keyring()
    try:
        return keyring.get_password(KEYRING_SERVICE, user)
    except keyring.errors.KeyringError as exc:
        raise CredentialError(f"The OS keyring is not available: {exc}.") from exc


def keyring_set(user: str, secret: str) -> None:
    keyring = _keyring()
    try:
        keyring.set_password(KEYRING_SERVICE, user, secret)
    except keyring.errors.KeyringError as exc:
        raise CredentialError(f"Could not store the key in the OS keyring: {exc}.") from exc


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every secret replaced, so keys never reach logs, caches or error reports."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, f"{secret[:3]}…{secret[-2:]}" if len(secret) > 12 else "…")
    return text
