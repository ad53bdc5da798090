"""The `finetop` command: opens the app with no arguments, runs headless subcommands otherwise.

Subcommands live one group per module and are imported only when named, so
`finetop` alone (the app) and `finetop --help` stay fast.
"""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute" under tui.cli
COMMANDS: dict[str, str] = {
    "emulator": "tui.cli.emulator_cmd:emulator",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="finetop")
@click.pass_context
def main(ctx: click.Context) -> None:
    """finetop: a terminal control room for OpenAI fine-tuning.

    Run with no command to open the app on the current profile.
    """
    if ctx.invoked_subcommand is None:
        click.echo("The finetop app is not built yet; try `finetop emulator`.")
