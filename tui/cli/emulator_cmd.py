"""`finetop emulator`: run the local fine-tuning API (placeholder until the emulator lands)."""

import click


@click.command()
def emulator() -> None:
    """Run the local fine-tuning API emulator."""
    raise click.ClickException("the emulator is not built yet")
