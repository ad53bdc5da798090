"""An Azure OpenAI profile: the same sync and archive through Azure's paths, api-version and api-key header."""

from __future__ import annotations

from store.backend import Backend
from store.cache import Cache
from store.config import Profile
from store.credentials import Keys
from tests.fixtures.app import FROZEN_NOW
from tests.fixtures.archive import archive_differences


def azure_backend(emulator, tmp_path, key: str | None = None) -> Backend:
    profile = Profile(
        name="azure", provider="azure", base_url=emulator.root_url, azure_api_version="2025-04-01-preview"
    )
    keys = Keys(api_key=key or emulator.api_key, admin_key=None, source="test")
    return Backend(profile, Cache.open(tmp_path / "azure" / "cache.db"), keys=keys)


def test_an_azure_profile_archives_the_account_exactly(emulator_factory, tmp_path):
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW)
    backend = azure_backend(emulator, tmp_path)
    report = backend.sync(full=True, with_contents=True)
    assert not report.errors
    assert archive_differences(backend.cache, emulator.control.snapshot(), contents=True) == []
    paths = {r["path"] for r in emulator.control.requests()}
    assert paths and all(p.startswith("/openai/") for p in paths)
    assert all(r["query"].get("api-version") == "2025-04-01-preview" for r in emulator.control.requests())
    # usage and costs are Azure's own business: said plainly, not an error
    assert "Azure Cost Management" in report.skipped["usage"]
    backend.close()


def test_azure_actions_and_its_own_error_wording(emulator_factory, tmp_path):
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW)
    backend = azure_backend(emulator, tmp_path)
    backend.sync()
    running = next(j for j in backend.cache.jobs() if j.status == "running")
    assert backend.pause_job(running.id).status == "paused"
    backend.close()
    wrong = azure_backend(emulator, tmp_path / "wrong", key="not-the-key")
    report = wrong.sync()
    assert report.errors["jobs"].kind == "auth"
    assert "Access denied" in report.errors["jobs"].message
    wrong.close()
