"""`finetop files`: list uploaded files, download or delete them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from rich.table import Table

from store.errors import NotCachedError
from tui import format as fmt
from tui.cli.common import confirm_or_abort, console, print_json, print_note, refresh, state


@click.group(invoke_without_command=True)
@click.option("--purpose", metavar="PURPOSE", help="Only files of this purpose (fine-tune, fine-tune-results, ...).")
@click.option("--deleted", is_flag=True, help="Include files deleted from the server (kept in the archive).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def files(ctx: click.Context, purpose: str | None, deleted: bool, as_json: bool) -> None:
    """List uploaded files and the jobs that use them."""
    if ctx.invoked_subcommand is not None:
        return
    note = refresh(["files"])
    cache = state().backend().cache
    rows = cache.files(include_deleted=deleted, purpose=purpose)
    users = cache.jobs_using_files()
    if as_json:
        print_json([{**fmt_file(f), "used_by": users.get(f.id, [])} for f in rows])
        print_note(note)
        return
    print_note(note)
    if not rows:
        console.print("No files.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "filename", "purpose", "size", "created", "used by"):
        table.add_column(column, justify="right" if column == "size" else "left", no_wrap=column == "id")
    for f in rows:
        used = users.get(f.id, [])
        table.add_row(
            f.id + (" [magenta](deleted)[/]" if f.deleted_at else ""),
            f.filename,
            f.purpose,
            fmt.human_size(f.bytes),
            fmt.timestamp(f.created_at),
            ", ".join(used[:2]) + (f" +{len(used) - 2}" if len(used) > 2 else "") if used else fmt.MISSING,
        )
    console.print(table)


def fmt_file(f) -> dict:
    return {
        "id": f.id,
        "filename": f.filename,
        "purpose": f.purpose,
        "bytes": f.bytes,
        "created_at": f.created_at,
        "expires_at": f.expires_at,
        "deleted_at": f.deleted_at,
    }


@files.command()
@click.argument("file_ids", nargs=-1, required=True, metavar="FILE_ID...")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(file_ids: tuple[str, ...], yes: bool) -> None:
    """Delete files from the server (they stay in the local archive)."""
    cli = state()
    if cli.offline:
        raise click.ClickException("Cannot delete files while offline.")
    backend = cli.backend()
    users = backend.cache.jobs_using_files()
    total = 0
    for file_id in file_ids:
        # An uncached file still gets deleted; its size is just unknown.
        with contextlib.suppress(NotCachedError):
            total += backend.cache.file(file_id).bytes
    in_use = [f for f in file_ids if users.get(f)]
    question = f"Delete {len(file_ids)} file(s) ({fmt.human_size(total)}) from the server?"
    if in_use:
        question += f" {len(in_use)} of them are used by jobs ({', '.join(users[in_use[0]][:3])}...)."
    confirm_or_abort(question, yes=yes)
    for file_id in file_ids:
        backend.delete_file(file_id)
        console.print(f"deleted {file_id}")
    console.print(f"Freed {fmt.human_size(total)} on the server.")


@files.command()
@click.argument("file_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("."), help="File or folder to write.")
def download(file_id: str, output: Path) -> None:
    """Save a file's contents (from the archive when it has them)."""
    cli = state()
    written = cli.backend().download_file(file_id, output, offline=cli.offline)
    console.print(f"saved {file_id} to {written}")
