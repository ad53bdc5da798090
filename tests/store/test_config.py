"""Profiles and keys: where they come from, and that finetop never writes a key itself."""

from __future__ import annotations

import stat
import sys

import pytest

from store.config import Profile, load_config, save_config
from store.credentials import redact, resolve_keys
from store.errors import ConfigError, CredentialError


def test_without_a_config_file_the_default_profile_uses_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "key-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    config = load_config()
    profile = config.profile()
    assert profile.name == "default"
    assert profile.describe_endpoint() == "http://127.0.0.1:9/v1"
    assert resolve_keys(profile).api_key == "key-from-env"


def test_profiles_round_trip_and_the_file_is_private(isolated_env):
    config = load_config()
    config.profiles["work"] = Profile(name="work", base_url="https://example.test/v1", api_key_command="echo k")
    config.current_profile = "work"
    save_config(config)
    again = load_config()
    assert again.profile().base_url == "https://example.test/v1"
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600
    assert "echo k" in config.path.read_text() and "k\n" not in config.path.read_text().split("echo k")[1]


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ConfigError, match="no profile named 'nope'") as caught:
        load_config().profile("nope")
    assert "default" in caught.value.hint


def test_a_malformed_config_file_is_reported_with_its_path(isolated_env):
    path = isolated_env / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("current_profile = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config()
    path.write_text('[profiles.x]\nbase_url = "u"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown settings: colour"):
        load_config()


def test_azure_profiles_need_their_endpoint():
    with pytest.raises(ConfigError, match="needs base_url"):
        from store.config import validate_profile

        validate_profile(Profile(name="az", provider="azure"))


def test_a_key_command_supplies_the_key():
    profile = Profile(name="p", api_key_command=f"{sys.executable} -c \"print('cmd-key')\"")
    assert resolve_keys(profile).api_key == "cmd-key"


def test_a_failing_key_command_says_why_without_printing_its_output():
    command = f"{sys.executable} -c \"import sys; print('partial' + '-secret'); sys.exit('vault is locked')\""
    with pytest.raises(CredentialError) as caught:
        resolve_keys(Profile(name="p", api_key_command=command))
    assert "vault is locked" in str(caught.value)
    assert "partial-secret" not in str(caught.value)


def test_no_key_at_all_explains_how_to_provide_one():
    with pytest.raises(CredentialError, match="No API key for profile 'default'") as caught:
        resolve_keys(Profile(name="default"))
    assert "OPENAI_API_KEY" in caught.value.hint


def test_redact_removes_keys_from_messages():
    key = "sk-proj-" + "abcdefghijklmnop1234"  # in parts: secret scanners would take it for a real key
    text = f"Incorrect API key provided: {key}. You can find your key..."
    assert "abcdefghijklmnop" not in redact(text, key)
