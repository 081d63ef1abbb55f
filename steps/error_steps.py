"""Steps about failing crews and the errors their executions report."""

from behave import given, then

from support import errors, executions


@given("a graph whose crew fails with {failure}, without retries")
def step_failing_graph(context, failure):
    errors.graph_failing_with(context.world, failure)


@given("a graph of {tasks:d} tasks whose {which} task fails with {failure} at its {step} step")
def step_failing_task(context, tasks, which, failure, step):
    errors.graph_with_failing_task(context.world, tasks, which, failure, step)


@given(
    "a graph of {tasks:d} tasks whose {which} task fails with {failure}, "
    "with up to {attempts:d} attempts"
)
def step_failing_task_retried(context, tasks, which, failure, attempts):
    errors.graph_with_failing_task(context.world, tasks, which, failure, attempts=attempts)


@given("a graph whose crew returns something that is not text")
def step_malformed(context):
    errors.graph_returning_malformed(context.world)


@given('a graph whose provider rejects the key with the message "{message}"')
def step_leaky_auth(context, message):
    errors.graph_leaking(context.world, "auth_failed", message)


@given('a graph whose network call fails with the message "{message}"')
def step_leaky_network(context, message):
    errors.graph_leaking(context.world, "requests_connection_error", message)


@given('a graph whose crew fails with the message "{message}"')
def step_leaky_crew(context, message):
    errors.graph_leaking(context.world, "crew_error", message)


@then("the execution fails within {seconds:d} seconds")
def step_fails(context, seconds):
    executions.finishes_within(context.world, "failed", seconds)


@then('its error is "{code}" in the category "{category}"')
def step_error_is(context, code, category):
    errors.error_is(context.world, code, category)


@then("its error is marked {retryable}")
def step_error_retryable(context, retryable):
    errors.error_retryable(context.world, retryable)


@then("its error message is written for people, not machines")
def step_error_readable(context):
    errors.error_message_readable(context.world)


@then('its error message says "{text}"')
def step_error_says(context, text):
    errors.error_message_is(context.world, text)


@then('its error names the task "{task}"')
def step_error_task(context, task):
    errors.error_names_task(context.world, task)


@then('its progress stopped in "{task}" between {low:d}% and {high:d}%')
def step_progress_stopped(context, task, low, high):
    errors.progress_stopped_in(context.world, task, low, high)


@then('only the output of "{task}" is kept')
def step_only_output(context, task):
    errors.output_kept(context.world, [task])


@then("no task output is kept")
def step_no_outputs(context):
    errors.output_kept(context.world, [])


@then("it has no result")
def step_no_result(context):
    errors.no_result(context.world)


@then('"{secret}" appears nowhere the service answers or stores')
def step_secret_nowhere(context, secret):
    errors.secret_nowhere(context.world, secret)


@then('its history names the exception "{name}"')
def step_history_detail(context, name):
    errors.history_keeps_detail(context.world, name)
