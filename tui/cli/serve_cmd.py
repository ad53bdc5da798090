"""`finetop serve`: the app in a web browser, through textual-serve."""

from __future__ import annotations

import shlex
import sys

import click


@click.command()
@click.option("--host", default="localhost", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Serve the demo account instead of the current profile.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo: bool) -> None:
    """Serve finetop in a browser: each browser tab runs its own app on this machine."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "tui.cli"]
    root = ctx.find_root().params
    if root.get("profile"):
        command += ["--profile", root["profile"]]
    if root.get("offline"):
        command.append("--offline")
    if demo:
        command.append("demo")
    click.echo(f"finetop in a browser: http://{host}:{port}  (Ctrl-C to stop)")
    Server(shlex.join(command), host=host, port=port, title="finetop").serve()
