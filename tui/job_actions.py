"""Cancel, pause and resume a job: the same from the job screen and from the command palette."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.types import Job
from tui import format as fmt
from tui.messages import CacheUpdated
from tui.widgets.confirm import ConfirmScreen

if TYPE_CHECKING:
    from tui.app import FinetopApp


def run_job_action(app: FinetopApp, job: Job, verb: str) -> None:
    """Cancel (after asking), pause or resume `job` in a worker; failures reach the app's error funnel."""

    def act() -> None:
        changed = getattr(app.backend, f"{verb}_job")(job.id)
        app.call_from_thread(app.notify, f"{changed.id} is now {changed.status}", title=f"Job {fmt.ACTION_DONE[verb]}")
        app.call_from_thread(app.broadcast, CacheUpdated(None, frozenset({changed.id})))

    def start() -> None:
        app.run_worker(act, thread=True, group="job-action", exit_on_error=False, description=f"Could not {verb}")

    if verb != "cancel":
        start()
        return
    app.push_screen(
        ConfirmScreen(
            f"Cancel {job.id}?",
            f"{job.fine_tuned_model or job.suffix or job.model}: training stops and cannot be resumed.",
            confirm_label="Cancel job",
            cancel_label="Keep running",
            warning="Tokens trained so far may still be billed.",
        ),
        lambda confirmed: start() if confirmed else None,
    )
