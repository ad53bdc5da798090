"""Opening the app from the command line: the profile's backend, the app, and a clean exit."""

from __future__ import annotations

import sys

from store.backend import Backend
from store.errors import FinetopError


def run_app(*, profile: str | None = None, offline: bool = False) -> None:
    """Open finetop on a profile. Problems before the app starts (a bad cache, a bad config)
    are printed as messages, not tracebacks."""
    from tui.cli.common import report_error

    try:
        backend = Backend.open(profile)
    except FinetopError as error:
        report_error(error)
        sys.exit(1)
    from tui.app import make_app

    try:
        make_app(backend, offline=offline).run()
    finally:
        backend.close()
