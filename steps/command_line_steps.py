"""Steps about the command line: the client commands, serve, and the operator's refusals."""

from behave import given, then, when

from support import command_line as cli
from support.command_line import workspace


@given("a graph file of a crew with {count:d} task")
@given("a graph file of a crew with {count:d} tasks")
def step_graph_file(context, count):
    cli.write_graph_file(context.world, workspace(context), count)


@given("a graph file of a crew whose second task fails with rejected credentials")
def step_failing_graph_file(context):
    cli.write_failing_graph_file(context.world, workspace(context))


@when("I queue the graph file from the command line with the input {item}, following it")
def step_queue_file_with_input(context, item):
    cli.queue_file(context.world, workspace(context), item)


@when("I queue the graph file from the command line, following it")
def step_queue_file(context):
    cli.queue_file(context.world, workspace(context))


@then("the command ends with exit code {code:d} ({outcome})")
def step_exit_code(context, code, outcome):
    cli.exit_code_is(context.world, outcome, code)


@then(
    "it showed the execution queued, running, each of its {count:d} tasks started and "
    "completed, then completed"
)
def step_showed_run(context, count):
    cli.showed_the_run(context.world, count)


@then("it printed the execution's id, then its result")
def step_printed_id(context):
    cli.printed_id_and_result(context.world)


@then('the API has the execution completed with the input {name} "{value}"')
def step_api_has_it(context, name, value):
    cli.api_has_it_completed_with(context.world, name, value)


@then("it named the error {code}")
def step_named_error(context, code):
    cli.named_the_error(context.world, code)


@when("I watch the execution from the command line")
def step_watch(context):
    cli.watch_in_background(context.world, workspace(context))


@when("I cancel the execution from the command line")
def step_cancel(context):
    cli.cancel(context.world, workspace(context))


@then("the cancel command says it is cancelled, and so does the API")
def step_cancelled(context):
    cli.cancelled_by_command(context.world)


@then("the watch ends with exit code {code:d} ({outcome})")
def step_watch_ended(context, code, outcome):
    cli.watch_ended(context.world, outcome, code)


@when("I list the executions from the command line")
def step_list(context):
    cli.list_executions(context.world, workspace(context))


@when("I list the executions from the command line at an address where nothing listens")
def step_list_silent(context):
    cli.list_somewhere_silent(context.world, workspace(context))


@then("it prints a table of the {count:d} executions, completed")
def step_table(context, count):
    cli.table_shows_completed(context.world, count)


@when("I ask for the queue's statistics from the command line")
def step_stats(context):
    cli.ask_stats(context.world, workspace(context))


@then("they show {count:d} completed in the last minute and the workers online")
def step_stats_show(context, count):
    cli.stats_show(context.world, count)


@when("I watch an execution that does not exist from the command line")
def step_watch_missing(context):
    cli.watch_missing(context.world, workspace(context))


@then("it says it cannot reach the API, and how to start one")
def step_unreachable(context):
    cli.says_unreachable(context.world)


@given("the service is served from a new data folder")
def step_serve(context):
    cli.serve_new(context.world, workspace(context))


@given("the service is served from a new data folder, handing crews back after {grace:g} s")
def step_serve_grace(context, grace):
    cli.serve_new_handing_back(context.world, workspace(context), grace)


@then("it printed its URL, its data folder and a key, ready to export")
def step_printed_url(context):
    cli.printed_url_and_key(context.world)


@when("I queue the graph file on the served service, following it")
def step_queue_on_served(context):
    cli.queue_file_on_served(context.world, workspace(context))


@when("the served service is stopped with SIGTERM")
def step_stop_served(context):
    cli.stop_served(context.world)


@then('it stops within 15 seconds, saying "stopped", with exit code 0 and no process left')
def step_stopped(context):
    cli.stopped_cleanly(context.world)


@given("an execution of the graph file on it has completed")
def step_served_completed(context):
    cli.execution_on_served_completed(context.world, workspace(context))


@given("an execution on it is running a crew of {steps:d} steps taking {ms:d} ms each")
def step_served_running(context, steps, ms):
    cli.execution_on_served_running(context.world, workspace(context), steps, ms)


@when("the served service is stopped and served again from the same data folder")
def step_restart(context):
    cli.restart(context.world, workspace(context))


@then("it says the earlier key still works, and prints no new one")
def step_key_kept(context):
    cli.earlier_key_kept(context.world)


@then("the earlier key lists the execution, completed")
def step_key_lists(context):
    cli.earlier_key_lists(context.world, workspace(context))


@then("the execution was handed back at the stop, and completes after the restart")
def step_handed_back(context):
    cli.handed_back_then_completed(context.world)


@when("the operator starts the API alone on the in-process broker")
def step_api_alone(context):
    cli.start_api_on_in_process_broker(context.world, workspace(context))


@given("an API started on a {kind} database that was never migrated")
def step_api_unmigrated(context, kind):
    cli.api_on_unmigrated_database(context.world, workspace(context), kind)


@when("I list the executions from that API")
def step_list_unmigrated(context):
    cli.list_from_unmigrated(context.world)


@then('it answers 503 SCHEMA_NOT_MIGRATED, naming "{command}"')
def step_not_migrated(context, command):
    cli.answers_not_migrated(context.world, command)


@when("the operator migrates that database and makes a key")
def step_migrates(context):
    cli.operator_migrates_it(context.world)


@then("that API lists no executions within {seconds:d} seconds")
def step_serves(context, seconds):
    cli.serves_within(context.world, seconds)
