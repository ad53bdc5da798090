"""`finetop profiles`: the accounts finetop knows, and which one is current."""

from __future__ import annotations

import shutil

import click
from rich.table import Table

from store.backend import cache_path_for
from store.config import DEFAULT_PROFILE, PROVIDERS, Profile, load_config, save_config, validate_profile
from store.credentials import describe_key_source, keyring_set, resolve_keys
from store.errors import ConfigError, FinetopError
from tui import format as fmt
from tui.cli.common import confirm_or_abort, console, print_json


@click.group()
def profiles() -> None:
    """Add, list, switch and remove profiles (one per account or endpoint)."""


@profiles.command()
@click.argument("name")
@click.option("--provider", type=click.Choice(PROVIDERS), default="openai", show_default=True)
@click.option("--base-url", metavar="URL", help="API base URL (Azure: the resource endpoint). Default: OpenAI.")
@click.option("--org", "organization", metavar="ORG_ID", help="OpenAI organization id.")
@click.option("--project", metavar="PROJECT_ID", help="OpenAI project id.")
@click.option("--azure-api-version", metavar="VERSION", help="Azure OpenAI api-version.")
@click.option("--key-env", metavar="VAR", help="Environment variable holding the API key (default OPENAI_API_KEY).")
@click.option("--key-command", metavar="CMD", help="Command that prints the API key, e.g. 'pass show openai'.")
@click.option("--keyring", "use_keyring", is_flag=True, help="Ask for the key now and keep it in the OS keyring.")
@click.option("--admin-key-env", metavar="VAR", help="Environment variable holding the admin key.")
@click.option("--admin-key-command", metavar="CMD", help="Command that prints the admin key (usage and costs).")
@click.option("--poll-seconds", type=float, help="How often active jobs are polled (default 5).")
@click.option("--use", "make_current", is_flag=True, help="Make it the current profile.")
def add(
    name: str,
    provider: str,
    base_url: str | None,
    organization: str | None,
    project: str | None,
    azure_api_version: str | None,
    key_env: str | None,
    key_command: str | None,
    use_keyring: bool,
    admin_key_env: str | None,
    admin_key_command: str | None,
    poll_seconds: float | None,
    make_current: bool,
) -> None:
    """Add (or update) a profile. Keys are never written to finetop's files."""
    if key_command and use_keyring:
        raise click.UsageError("Choose one of --key-command and --keyring.")
    config = load_config()
    profile = Profile(
        name=name,
        provider=provider,
        base_url=base_url,
        organization=organization,
        project=project,
        azure_api_version=azure_api_version,
        api_key_command=key_command,
        keyring=use_keyring,
        admin_key_command=admin_key_command,
    )
    if key_env:
        profile.api_key_env = key_env
    elif provider == "azure":
        profile.api_key_env = "AZURE_OPENAI_API_KEY"  # the name Azure's own tools use
    if admin_key_env:
        profile.admin_key_env = admin_key_env
    if poll_seconds:
        profile.poll_seconds = poll_seconds
    validate_profile(profile)
    if use_keyring:
        keyring_set(name, click.prompt("API key", hide_input=True))
        if click.confirm("Also store an admin key (for usage and costs)?", default=False):
            keyring_set(f"{name}:admin", click.prompt("Admin key", hide_input=True))
    existed = name in config.profiles
    config.profiles[name] = profile
    if make_current:
        config.current_profile = name
    save_config(config)
    console.print(f"{'updated' if existed else 'added'} profile {name} ({profile.describe_endpoint()})")
    if make_current:
        console.print(f"{name} is now the current profile")


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_(as_json: bool) -> None:
    """List profiles, where their keys come from, and their caches."""
    config = load_config()
    rows = []
    for profile in config.all_profiles():
        try:
            keys = resolve_keys(profile)
            key_state = "admin key too" if keys.admin_key else "found"
        except FinetopError as error:
            key_state = f"missing ({error.message})"
        path = cache_path_for(profile.name)
        rows.append(
            {
                "name": profile.name,
                "current": profile.name == config.current_profile,
                "provider": profile.provider,
                "endpoint": profile.describe_endpoint(),
                "key_source": describe_key_source(profile),
                "key": key_state,
                "cache": str(path),
                "cache_bytes": path.stat().st_size if path.exists() else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "profile", "endpoint", "key from", "key", "cache"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            "*" if row["current"] else "",
            row["name"],
            row["endpoint"] + (f" [dim]({row['provider']})[/]" if row["provider"] != "openai" else ""),
            row["key_source"],
            row["key"],
            fmt.human_size(row["cache_bytes"]) if row["cache_bytes"] else "[dim]none yet[/]",
        )
    console.print(table)


@profiles.command()
@click.argument("name")
def use(name: str) -> None:
    """Make NAME the current profile."""
    config = load_config()
    config.profile(name)  # raises with the known names if NAME is unknown
    config.current_profile = name
    save_config(config)
    console.print(f"{name} is now the current profile")


@profiles.command()
@click.argument("name")
@click.option("--delete-cache", is_flag=True, help="Also delete the profile's local archive.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, delete_cache: bool, yes: bool) -> None:
    """Forget a profile (its cache stays unless --delete-cache)."""
    config = load_config()
    if name not in config.profiles and name != DEFAULT_PROFILE:
        raise ConfigError(f"There is no profile named {name!r}.")
    folder = cache_path_for(name).parent
    if delete_cache and folder.exists():
        confirm_or_abort(
            f"Delete the archive of {name} at {folder}? It cannot be fetched again once the server forgets.", yes=yes
        )
        shutil.rmtree(folder)
        console.print(f"deleted {folder}")
    config.profiles.pop(name, None)
    if config.current_profile == name:
        config.current_profile = DEFAULT_PROFILE
    save_config(config)
    console.print(f"removed profile {name}")
