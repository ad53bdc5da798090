"""The `finetop emulator` / `python -m emulator` command: run the emulator in the foreground."""

from __future__ import annotations

import errno

import click

from emulator.scenarios import SCENARIOS
from emulator.tokens import TokenizerUnavailable
from emulator.world import DEFAULT_ADMIN_KEY, DEFAULT_API_KEY, QUIRKS


@click.command(name="emulator", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option(
    "--scenario",
    default="demo",
    show_default=True,
    type=click.Choice(sorted(SCENARIOS)),
    help="What the account holds.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same account.")
@click.option(
    "--speed",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Simulated seconds per real second (0 freezes time).",
)
@click.option("--now", "now", default=None, help="Simulated start (unix seconds or ISO 8601); default: now.")
@click.option(
    "--db",
    "db_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Keep the state in this SQLite file (resumes it if it exists).",
)
@click.option("--api-key", default=DEFAULT_API_KEY, show_default=True, help="The API key to accept.")
@click.option(
    "--admin-key", default=DEFAULT_ADMIN_KEY, show_default=True, help="The admin key to accept (usage, costs)."
)
@click.option(
    "--max-running-jobs", default=3, show_default=True, type=click.IntRange(1), help="Jobs beyond it wait in queued."
)
@click.option("--quirk", "quirks", multiple=True, type=click.Choice(QUIRKS), help="Opt-in real-service oddities.")
@click.option("--validate", is_flag=True, help="Check every response against ../shared/openapi (needs openapi-core).")
@click.option(
    "--option",
    "scenario_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A scenario option, e.g. --option jobs=5000 --option events=1000000 for `bench`.",
)
def emulator_command(
    host: str,
    port: int,
    scenario: str,
    seed: int,
    speed: float,
    now: str | None,
    db_path: str | None,
    api_key: str,
    admin_key: str,
    max_running_jobs: int,
    quirks: tuple[str, ...],
    validate: bool,
    scenario_options: tuple[str, ...],
) -> None:
    """Run a local, stateful OpenAI fine-tuning API (files, jobs, events, models, usage, costs).

    It prints the base URL and the keys to use, then serves until Ctrl-C.
    """
    from emulator.runner import run_foreground  # aiohttp only when actually running

    options: dict[str, str] = {}
    for item in scenario_options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--option")
        options[key] = value
    try:
        run_foreground(
            host=host,
            port=port,
            scenario=scenario,
            seed=seed,
            speed=speed,
            now=now,
            db_path=db_path,
            api_key=api_key,
            admin_key=admin_key,
            max_running_jobs=max_running_jobs,
            quirks=quirks,
            validate_responses=validate,
            **options,
        )
    except TokenizerUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    except ImportError as exc:
        raise click.ClickException(f"--validate needs the test extras (pip install -e '.[test]'): {exc}") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is already in use; pick another with --port (0 chooses a free one)"
            ) from None
        raise click.ClickException(f"could not start the emulator: {exc}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
