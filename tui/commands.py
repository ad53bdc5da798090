"""Command palette providers (ctrl+p): find jobs, files and models in the cache, and run namespaced actions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from store.errors import FinetopError
from store.types import Job
from tui.job_actions import run_job_action

if TYPE_CHECKING:
    from store.cache import SearchHit
    from tui.app import FinetopApp

SECTIONS = ("jobs", "files", "models", "spend")
MIN_QUERY = 2  # one character matches half the cache: wait for a second


def _finetop(provider: Provider) -> FinetopApp:
    return provider.app  # type: ignore[return-value]


# -- finding things ------------------------------------------------------------------------


def search_cache(app: FinetopApp, query: str) -> list[SearchHit]:
    """Cache hits whose label holds every word of `query` (runs on a worker thread)."""
    words = query.lower().split()
    if not words:
        return []
    hits = app.backend.cache.search(max(words, key=len))
    return [hit for hit in hits if all(word in f"{hit.kind} {hit.label}".lower() for word in words)]


def open_hit(app: FinetopApp, hit: SearchHit) -> None:
    """A job opens in detail, a file in the preview, a model in the models section."""
    if hit.kind == "job":
        from tui.screens.job import JobScreen

        app.push_screen(JobScreen(hit.id))
    elif hit.kind == "file":
        from tui.screens.file_preview import FilePreviewScreen

        app.push_screen(FilePreviewScreen(hit.id))
    elif hit.kind == "model":
        app.switch_mode("models")

        def point_at_model() -> None:
            # The models section may offer to highlight one model; without it, the section is enough.
            show = getattr(app.screen, "show_model", None)
            if callable(show):
                show(hit.id)

        app.call_after_refresh(point_at_model)


class FindProvider(Provider):
    """Jobs, files and models from the cache, by any part of their id or name."""

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < MIN_QUERY:
            return
        app = _finetop(self)
        try:
            hits = await asyncio.to_thread(search_cache, app, text)  # SQLite stays off the UI thread
        except FinetopError as error:
            app.notify(str(error), title="Search failed", severity="error")
            return
        matcher = self.matcher(text)
        for hit in hits:
            label = f"{hit.kind}: {hit.label}"
            # The cache matched it as a substring; the fuzzy score only orders the hits.
            score = max(matcher.match(label), 0.05)
            yield Hit(score, matcher.highlight(label), partial(open_hit, app, hit), text=label, help=_help_for(hit))


def _help_for(hit: SearchHit) -> str:
    return {
        "job": "Open the job: events, loss chart, checkpoints",
        "file": "Preview the file's content",
        "model": "Show the models section",
    }.get(hit.kind, "")


# -- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: str  # "namespace: verb"
    help: str
    run: Callable[[], Any]


def job_in_view(screen: Any) -> Job | None:
    """The job the user is looking at: the one open in detail, or the one under the jobs list's cursor."""
    job = getattr(screen, "job", None)
    if isinstance(job, Job):
        return job
    cursor = getattr(screen, "selected_job_id", None)  # JobsScreen: the highlighted row
    if callable(cursor):
        job_id = cursor()
        return next((j for j in getattr(screen, "jobs", []) if j.id == job_id), None)
    return None


class ActionsProvider(Provider):
    """ "job: cancel", "sync: now", "profile: switch", "files: delete selected", "view: files", …"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profiles: list[str] = []

    async def startup(self) -> None:
        def names() -> list[str]:
            from store.config import load_config

            try:
                return [profile.name for profile in load_config().all_profiles()]
            except FinetopError:
                return []

        self.profiles = await asyncio.to_thread(names)  # reads config.toml: off the UI thread

    def actions(self) -> list[Action]:
        app = _finetop(self)
        offline = app.offline_mode
        found: list[Action] = []
        job = job_in_view(self.screen)
        if job is not None and not offline:
            name = job.suffix or job.id
            if job.is_active:
                found.append(
                    Action("job: cancel", f"Cancel {name} (asks first)", partial(run_job_action, app, job, "cancel"))
                )
            if job.status == "running":
                found.append(Action("job: pause", f"Pause {name}", partial(run_job_action, app, job, "pause")))
            if job.status == "paused":
                found.append(Action("job: resume", f"Resume {name}", partial(run_job_action, app, job, "resume")))
        if not offline:
            found.append(
                Action("job: new", "Start a fine-tuning job: check, upload, estimate, create", partial(_new_job, app))
            )
            if job is not None and job.is_terminal:
                name = job.suffix or job.id
                found.append(
                    Action("job: rerun", f"A new job from {name}'s configuration", partial(_new_job, app, job))
                )
        found.append(Action("sync: now", "Sync with the API now", app.action_sync_now))
        delete = getattr(self.screen, "action_delete", None)
        targets = getattr(self.screen, "delete_targets", None)
        if callable(delete) and callable(targets) and targets() and not offline:
            found.append(Action("files: delete selected", "Delete the selected files (asks first)", delete))
        current = app.backend.profile.name
        others = [name for name in self.profiles if name != current]
        for name in others:
            found.append(
                Action(f"profile: switch to {name}", f"Leave {current} for {name}", partial(app.switch_profile, name))
            )
        if not others:
            found.append(Action("profile: switch", "Only one profile is configured", partial(_only_profile, app)))
        for section in SECTIONS:
            found.append(Action(f"view: {section}", f"Show the {section} section", partial(app.switch_mode, section)))
        found.append(Action("view: help", "Every key, screen by screen", app.action_help))
        return found

    async def discover(self) -> Hits:
        for action in self.actions():
            yield DiscoveryHit(action.label, action.run, help=action.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self.actions():
            score = matcher.match(action.label)
            if score > 0:
                yield Hit(score, matcher.highlight(action.label), action.run, text=action.label, help=action.help)


def _new_job(app, rerun=None) -> None:
    from tui.screens.new_job import NewJobScreen

    app.push_screen(NewJobScreen(rerun=rerun) if rerun is not None else NewJobScreen())


def _only_profile(app: FinetopApp) -> None:
    app.notify(
        "Add another with `finetop profiles add NAME`, then switch here.",
        title="Only one profile",
        severity="warning",
    )
