"""``execution-service demo``: start the embedded stack, queue a scripted crew, watch it."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from execution_service.config import Settings
from execution_service.embedded import EmbeddedStack

DEMO_GRAPH: dict[str, Any] = {
    "name": "demo: research, write, review",
    "agents": [
        {"role": "researcher", "goal": "Find facts about {topic}", "backstory": "Curious."},
        {"role": "writer", "goal": "Write about {topic}", "backstory": "Clear and brief."},
        {"role": "reviewer", "goal": "Check the article", "backstory": "Picky."},
    ],
    "tasks": [
        {
            "name": "research",
            "description": "Collect five facts about {topic}",
            "expected_output": "A list of facts",
            "agent": "researcher",
        },
        {
            "name": "write",
            "description": "Write a short article about {topic}",
            "expected_output": "An article",
            "agent": "writer",
            "context": ["research"],
        },
        {
            "name": "review",
            "description": "Review the article about {topic}",
            "expected_output": "The approved article",
            "agent": "reviewer",
            "context": ["write"],
        },
    ],
    "script": {
        "default": {"steps": 4, "step_seconds": 0.25},
        "tasks": [
            {"steps": 4, "step_seconds": 0.25},
            {"steps": 4, "step_seconds": 0.25},
            {"steps": 4, "step_seconds": 0.25, "output": "An approved article about {topic}."},
        ],
    },
}


def _call(base: str, key: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def run_demo(data_dir: Path, topic: str = "octopuses", timeout: float = 60.0) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{data_dir / 'demo.sqlite3'}",
        broker_url="prioritymemory://",
        default_runner="scripted",
        scripted_runner_enabled=True,  # the demo's crew is the scripted stand-in
        log_level="WARNING",
    )
    stack = EmbeddedStack(settings)
    stack.start()
    try:
        base = stack.base_url
        key = stack.local_key()
        print(f"API up at {base} (OpenAPI docs at {base}/docs)")
        print(f"API key of the owner 'local' (send it as 'Authorization: Bearer ...'): {key}")

        def call(method: str, path: str, body: Any = None) -> Any:
            return _call(base, key, method, path, body)

        graph = call("POST", "/api/v1/graphs", DEMO_GRAPH)
        print(f"defined graph {graph['id']} ({graph['name']})")
        execution = call(
            "POST", f"/api/v1/graphs/{graph['id']}/executions", {"inputs": {"topic": topic}}
        )
        print(f"queued execution {execution['id']}: {execution['status']}")
        seen: tuple[Any, ...] = ()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = call("GET", f"/api/v1/executions/{execution['id']}")
            progress = execution["progress"]
            now = (execution["status"], progress["percent"], progress["current_task"])
            if now != seen:
                seen = now
                bar = "#" * int(progress["percent"] // 5)
                task = progress["current_task"] or ""
                print(f"  {execution['status']:<10} [{bar:<20}] {progress['percent']:5.1f}% {task}")
            if execution["status"] in ("completed", "failed", "cancelled", "timed_out"):
                break
            time.sleep(0.1)
        events = call("GET", f"/api/v1/executions/{execution['id']}/events")["items"]
        print("history: " + " -> ".join(e["status"] for e in events))
        if execution["status"] != "completed":
            print(f"execution ended {execution['status']}: {execution['error']}")
            return 1
        print(f"result: {execution['result']['raw']}")
        return 0
    finally:
        stack.stop()
