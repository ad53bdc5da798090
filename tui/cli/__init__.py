"""The `finetop` command: opens the app with no arguments, runs headless subcommands otherwise.

Subcommands live one group per module and are imported only when named, so
`finetop` alone (the app) and `finetop --help` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# command name -> "module:attribute" under tui.cli
COMMANDS: dict[str, str] = {
    "emulator": "tui.cli.emulator_cmd:emulator",
    "sync": "tui.cli.sync_cmd:sync",
    "archive": "tui.cli.archive_cmd:archive",
    "jobs": "tui.cli.jobs_cmd:jobs",
    "job": "tui.cli.jobs_cmd:job",
    "events": "tui.cli.jobs_cmd:events",
    "cancel": "tui.cli.jobs_cmd:cancel",
    "pause": "tui.cli.jobs_cmd:pause",
    "resume": "tui.cli.jobs_cmd:resume",
    "files": "tui.cli.files_cmd:files",
    "models": "tui.cli.models_cmd:models",
    "profiles": "tui.cli.profiles_cmd:profiles",
    "demo": "tui.cli.demo_cmd:demo",
    "serve": "tui.cli.serve_cmd:serve",
    "prices": "tui.cli.prices_cmd:prices",
    "whatif": "tui.cli.whatif_cmd:whatif",
    "spend": "tui.cli.spend_cmd:spend",
    "check": "tui.cli.check_cmd:check",
    "upload": "tui.cli.upload_cmd:upload",
    "create": "tui.cli.create_cmd:create",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it is invoked, and turns
    finetop's errors into a message and exit status 1 instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        from store.errors import FinetopError

        try:
            return super().invoke(ctx)
        except FinetopError as error:
            from tui.cli.common import report_error

            report_error(error)
            ctx.exit(1)
        finally:
            state = ctx.find_root().obj
            if state is not None and hasattr(state, "close"):
                state.close()


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("-p", "--profile", metavar="NAME", envvar="FINETOP_PROFILE", help="The profile (account) to use.")
@click.option("--offline", is_flag=True, help="Read the cache only; never touch the network.")
@click.version_option(package_name="finetop")
@click.pass_context
def main(ctx: click.Context, profile: str | None, offline: bool) -> None:
    """finetop: a terminal control room for OpenAI fine-tuning.

    Run with no command to open the app on the current profile.
    """
    from tui.cli.common import CliState

    ctx.obj = CliState(profile=profile, offline=offline)
    if ctx.invoked_subcommand is None:
        from tui.launch import run_app

        run_app(profile=profile, offline=offline)
