"""The client commands' pure parts: arguments, exit codes, what is printed, the event
stream's parsing and the reconnection rule."""

from __future__ import annotations

import argparse
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from execution_service.cli import build_parser, main
from execution_service.cli.api_client import (
    ApiUnreachable,
    ServerEvent,
    follow,
    parse_events,
)
from execution_service.cli.client_commands import (
    format_stats,
    format_table,
    graph_reference,
    parse_input,
    parse_label,
    queue_body,
    result_text,
)
from execution_service.cli.operator_commands import in_process_broker
from execution_service.cli.outcomes import ExitCode, exit_code_of
from execution_service.cli.watch_display import PlainDisplay, progress_line, status_line

# --- arguments ------------------------------------------------------------------------


def test_an_input_is_a_string_unless_given_as_json() -> None:
    assert parse_input("topic=octopuses") == ("topic", "octopuses")
    assert parse_input("count=3") == ("count", "3")
    assert parse_input("count:=3") == ("count", 3)
    assert parse_input('tags:=["a", "b"]') == ("tags", ["a", "b"])
    assert parse_input("url=http://x/?a=b") == ("url", "http://x/?a=b")
    assert parse_input("empty=") == ("empty", "")


@pytest.mark.parametrize("bad", ["topic", "=value", ":=3", "count:=three"])
def test_an_input_without_a_name_or_with_bad_json_is_refused(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_input(bad)


def test_a_label_is_key_equals_value() -> None:
    assert parse_label("customer=acme") == ("customer", "acme")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_label("customer")


def test_a_graph_is_a_file_that_exists_else_an_id(tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text("{}")
    assert graph_reference(str(graph)) == graph
    ident = uuid.uuid4()
    assert graph_reference(str(ident)) == str(ident)
    with pytest.raises(argparse.ArgumentTypeError, match="neither a graph file nor"):
        graph_reference(str(tmp_path / "missing.json"))


def test_the_queue_command_parses_into_its_request(tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text("{}")
    args = build_parser().parse_args(
        [
            "queue",
            str(graph),
            "-i",
            "topic=octopuses",
            "--input",
            "count:=2",
            "--priority",
            "high",
            "-m",
            "customer=acme",
            "--follow",
            "--url",
            "http://h:1",
        ]
    )
    assert args.follow and args.client and args.url == "http://h:1"
    assert queue_body(args) == {
        "inputs": {"topic": "octopuses", "count": 2},
        "priority": "high",
        "metadata": {"customer": "acme"},
    }
    bare = build_parser().parse_args(["queue", str(graph)])
    assert queue_body(bare) == {"inputs": {}}
    assert not bare.follow


def test_the_in_process_brokers_are_the_memory_ones() -> None:
    assert in_process_broker("prioritymemory://")
    assert in_process_broker("memory://")
    assert not in_process_broker("redis://127.0.0.1:6379/0")
    assert not in_process_broker("rediss://memory.example:6380/0")


# --- exit codes -----------------------------------------------------------------------


def test_each_final_status_has_its_exit_code() -> None:
    assert exit_code_of("completed") == 0
    assert exit_code_of("failed") == ExitCode.FAILED == 1
    assert exit_code_of("cancelled") == ExitCode.CANCELLED == 3
    assert exit_code_of("timed_out") == ExitCode.TIMED_OUT == 4
    assert (ExitCode.USAGE, ExitCode.REFUSED, ExitCode.UNREACHABLE) == (2, 5, 6)


@pytest.mark.parametrize("status", ["queued", "running", "retrying", "done"])
def test_a_status_that_is_not_final_has_no_exit_code(status: str) -> None:
    with pytest.raises(ValueError):
        exit_code_of(status)


def test_a_client_command_without_a_key_exits_with_the_usage_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("EXEC_API_KEY", raising=False)
    assert main(["list", "--url", "http://127.0.0.1:9"]) == ExitCode.USAGE
    assert "no API key" in capsys.readouterr().err


def test_a_client_command_with_no_api_there_exits_unreachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["stats", "--url", "http://127.0.0.1:9", "--key", "cex_x"]) == 6
    assert "cannot reach the API at http://127.0.0.1:9" in capsys.readouterr().err


# --- what is printed ------------------------------------------------------------------


def test_a_table_aligns_its_columns() -> None:
    lines = format_table(("ID", "STATUS"), [["a", "completed"], ["bbbb", "failed"]])
    assert lines == ["ID    STATUS", "a     completed", "bbbb  failed"]


def test_the_statistics_say_each_fact_on_a_line() -> None:
    stats = {
        "queued": 3,
        "running": 1,
        "retrying": 0,
        "queued_by_priority": {"low": 0, "normal": 2, "high": 1, "critical": 0},
        "oldest_queued_age_seconds": 2.345,
        "workers_online": 1,
        "worker_slots": 4,
        "completed_last_minute": 5,
        "failed_last_minute": 1,
        "by_status": {},
        "circuit_breakers": [{"name": "provider.example", "state": "open"}],
    }
    lines = format_stats(stats)
    assert lines[0] == "queued                 3 (normal 2, high 1)"
    assert "oldest queued          2.3 s" in lines
    assert "workers online         1 (4 slots)" in lines
    assert lines[-1] == "circuit provider.example: open"


def test_a_result_prints_its_raw_text_else_its_json() -> None:
    assert result_text({"raw": "An article."}) == "An article."
    assert json.loads(result_text({"answer": 42})) == {"answer": 42}


def test_a_status_line_says_the_attempt_the_reason_and_the_error() -> None:
    assert status_line("queued", {"message": None}) == "queued"
    assert status_line("running", {"attempt": 2, "message": "started on w1"}) == (
        "running (attempt 2)"
    )
    assert status_line("retrying", {"message": "Rate-limited. Retrying in 1 s."}) == (
        "retrying: Rate-limited. Retrying in 1 s."
    )
    failed = {"error": {"code": "PROVIDER_AUTH_FAILED", "message": "Bad key."}}
    assert status_line("failed", failed) == "failed: PROVIDER_AUTH_FAILED: Bad key."


def test_a_progress_line_fills_its_bar_in_proportion() -> None:
    assert progress_line(0, None) == "[                    ]   0%"
    assert progress_line(50, "write") == "[##########          ]  50% write"
    assert progress_line(100, "review") == "[####################] 100% review"
    assert progress_line(140, None).startswith("[####################]")


def test_plain_progress_lines_come_every_ten_percent_and_again_after_a_retry() -> None:
    out = io.StringIO()
    display = PlainDisplay(out)
    display.status("running", {"attempt": 1})
    for percent in (1, 5, 11, 12, 25, 30, 24):
        display.progress(percent, "t")
    display.status("running", {"attempt": 2})
    display.progress(2, "t")
    shown = [line.split("]")[1].split()[0] for line in out.getvalue().splitlines() if "[" in line]
    assert shown == ["1%", "11%", "25%", "2%"]


# --- the event stream -----------------------------------------------------------------


def test_server_sent_events_are_parsed_by_the_format_rules() -> None:
    lines = [
        ": keep-alive",
        "",
        "id: 1",
        "event: execution.queued",
        'data: {"status": "queued"}',
        "",
        "id: 1.2",
        "retry: 100",
        "event: progress",
        'data: {"percent":',
        "data: 50}",
        "",
        "data: {}",
        "",
    ]
    assert list(parse_events(lines)) == [
        ServerEvent("1", "execution.queued", {"status": "queued"}),
        ServerEvent("1.2", "progress", {"percent": 50}),
        ServerEvent(None, "message", {}),
    ]


class _Streams:
    """A fake client: each connection gives the next script (events, then maybe a
    break)."""

    def __init__(self, *scripts: list[ServerEvent | Exception]) -> None:
        self.scripts = list(scripts)
        self.asked: list[str | None] = []

    def stream(self, execution_id: str, last_id: str | None = None) -> Iterator[ServerEvent]:
        self.asked.append(last_id)
        script = self.scripts.pop(0) if self.scripts else [ApiUnreachable("down")]
        for item in script:
            if isinstance(item, Exception):
                raise item
            yield item


def _event(ident: str, name: str) -> ServerEvent:
    return ServerEvent(ident, name, {})


def test_following_reconnects_after_the_last_event_seen_until_the_final_one() -> None:
    client = _Streams(
        [_event("1", "execution.queued"), _event("2", "execution.running"), ApiUnreachable("x")],
        [ApiUnreachable("still down")],
        [_event("3", "execution.completed")],
    )
    seen: list[str] = []
    told: list[str] = []

    def on_event(event: ServerEvent) -> bool:
        seen.append(event.name)
        return event.name == "execution.completed"

    follow(
        client,  # type: ignore[arg-type]
        "e",
        on_event,
        on_reconnect=told.append,
        pause=lambda _: None,
    )
    assert seen == ["execution.queued", "execution.running", "execution.completed"]
    assert client.asked == [None, "2", "2"]
    assert told == ["x"]  # once per outage


def test_following_gives_up_after_the_reconnect_time() -> None:
    now = [0.0]

    def pause(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(ApiUnreachable):
        follow(
            _Streams([_event("1", "execution.queued"), ApiUnreachable("gone")]),  # type: ignore[arg-type]
            "e",
            lambda _: False,
            reconnect_seconds=10,
            clock=lambda: now[0],
            pause=pause,
        )
    assert 10 <= now[0] < 16
