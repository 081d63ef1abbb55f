"""The scripted crew records each start when its script says ``record_starts``.

The acceptance suite relies on it to see that a crew never started (its execution was
cancelled while queued), so the record must appear exactly when a crew starts: one
file per execution and attempt, in ``starts_folder()``, and none without the setting.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from execution_service.crews.interface import RunContext, current_run
from execution_service.crews.scripted import library
from execution_service.crews.scripted.script import starts_folder
from execution_service.graph import GraphSpec


def _spec(record_starts: bool) -> GraphSpec:
    return GraphSpec.model_validate(
        {
            "name": "one task",
            "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
            "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
            "script": {"default": {"steps": 1, "step_seconds": 0}, "record_starts": record_starts},
        }
    )


def _kickoff(spec: GraphSpec, execution_id: uuid.UUID, attempt: int) -> None:
    agent = library.Agent(role="writer", goal="Write", backstory="Writes.")
    crew = library.Crew(agents=[agent], tasks=[library.Task("Write", "Text", agent=agent)])
    token = current_run.set(RunContext(execution_id, attempt, spec))
    try:
        crew.kickoff()
    finally:
        current_run.reset(token)


@pytest.fixture(autouse=True)
def own_temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_each_start_leaves_a_file_named_by_execution_and_attempt(tmp_path: Path) -> None:
    ident = uuid.uuid4()
    _kickoff(_spec(record_starts=True), ident, 1)
    _kickoff(_spec(record_starts=True), ident, 2)
    assert starts_folder().parent == tmp_path
    assert sorted(p.name for p in starts_folder().iterdir()) == [f"{ident}.1", f"{ident}.2"]


def test_nothing_is_recorded_unless_the_script_asks() -> None:
    _kickoff(_spec(record_starts=False), uuid.uuid4(), 1)
    assert not starts_folder().exists()
