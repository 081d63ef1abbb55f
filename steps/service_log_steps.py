"""Steps about the service's log lines."""

from behave import given, then

from support import service_logs


@given("the service writes its logs as JSON lines")
def step_json_lines(context):
    service_logs.keep_json_lines(context.world, context.add_cleanup)


@then(
    'the workers\' logs say "{words}" about it, naming its graph, attempt {attempt:d} and '
    "its worker"
)
def step_worker_line(context, words, attempt):
    service_logs.said_with_fields(
        context.world, "workers", words, {"graph_id": ..., "worker": ..., "attempt": attempt}
    )


@then('the API\'s logs say "{words}" about it, naming its graph')
def step_api_line(context, words):
    service_logs.said_with_fields(context.world, "api", words, {"graph_id": ...})
