"""Steps about real crewai crews and the model provider they call (features/crewai/)."""

from behave import given, then, when

from support import crewai_crews as crews


@given("a research crew of two agents and two tasks")
def step_research_crew(context):
    crews.define_research_crew(context.world)


@given('the model provider answers "{text}" to the {task} task')
def step_answers(context, text, task):
    crews.answers(context.world, task, text)


@given("the model provider answers each task about the topic it was given")
def step_answers_topics(context):
    crews.answers_about_topics(context.world)


@given("the model provider takes {seconds:g} seconds to answer")
def step_latency(context, seconds):
    crews.latency(context.world, seconds)


@given(
    "the model provider rate-limits the first request, asking to retry after {seconds:g} seconds"
)
def step_rate_limits_first(context, seconds):
    crews.rate_limits_first(context.world, seconds)


@given("the model provider answers every request with {failure}")
def step_fails_every_request(context, failure):
    crews.fails_every_request(context.world, failure)


@given("the model provider fails every request with HTTP {status:d}")
def step_fails_with_status(context, status):
    crews.fails_with_status(context.world, status)


@given("the model provider never answers")
def step_never_answers(context):
    crews.never_answers(context.world)


@given("the model provider never answers the first request")
def step_never_answers_first(context):
    crews.never_answers(context.world, first_only=True)


@given("the model provider refuses connections")
def step_refuses(context):
    crews.provider_refuses_connections(context.world)


@given("the crew may be tried {attempts:d} times")
def step_may_be_tried(context, attempts):
    crews.may_be_tried(context.world, attempts)


@given("the agents give the model {seconds:g} second to answer")
def step_model_timeout(context, seconds):
    crews.model_timeout(context.world, seconds)


@given("the researcher may use the {tool}")
def step_researcher_uses(context, tool):
    crews.researcher_uses(context.world, tool)


@given('the model provider has the researcher work out "{expression}" with the calculator')
def step_calculator_call(context, expression):
    crews.works_out_with_calculator(context.world, expression)


@given("a failing tool stops the crew")
def step_failing_tools_stop(context):
    crews.failing_tools_stop_the_crew(context.world)


@given("the crew's key is one the model provider rejects")
def step_key_rejected(context):
    crews.key_rejected(context.world)


@given("the crew names a key the workers do not have")
def step_key_missing(context):
    crews.key_missing(context.world)


@given('the crew asks for the model "{model}"')
def step_model_named(context, model):
    crews.model_named(context.world, model)


@given("the crew is run by a manager who hands the tasks to its agents")
def step_managed(context):
    crews.managed(context.world)


@given("the model provider has the manager hand the research to the researcher")
def step_manager_delegates(context):
    crews.manager_delegates_research(context.world)


@when('I define a crew whose researcher uses the tool "{tool}"')
def step_define_with_tool(context, tool):
    crews.define_with_tool(context.world, tool)


@when("{count:d} executions of the crew have failed one after another")
def step_failed_in_a_row(context, count):
    crews.failed_in_a_row(context.world, count)


@when("the crew is waiting for the model provider")
def step_waiting_for_provider(context):
    crews.waiting_for_provider(context.world)


@then('its result is "{text}"')
def step_result_is(context, text):
    crews.result_is(context.world, text)


@then('the output of the "{task}" task is "{text}"')
def step_task_output_is(context, task, text):
    crews.task_output_is(context.world, task, text)


@then("the model provider was asked once per task, for the model the crew names, with a key")
def step_asked_once_per_task(context):
    crews.asked_once_per_task(context.world)


@then('every request to the model provider mentions "{text}"')
def step_every_request_mentions(context, text):
    crews.every_request_mentions(context.world, text)


@then("the writer was given the researcher's findings")
def step_writer_got_findings(context):
    crews.writer_got_findings(context.world)


@then('the task in progress was "{first}" and then "{second}"')
def step_tasks_in_progress(context, first, second):
    crews.tasks_in_progress_were(context.world, [first, second])


@then("each execution kept only the outputs about its own topic")
def step_outputs_own_topic(context):
    crews.outputs_about_own_topic(context.world)


@then('the model provider was told the calculator\'s answer "{value}"')
def step_told_tool_answer(context, value):
    crews.told_tool_answer(context.world, value)


@then("the model provider received {count:d} requests")
@then("the model provider received {count:d} request")
def step_received(context, count):
    crews.received(context.world, count)


@then("the model provider received no requests")
def step_received_none(context):
    crews.received(context.world, 0)


@then("the model provider's circuit is open")
def step_circuit_open(context):
    crews.circuit_open(context.world)


@then('a further execution fails at once with "{code}" without calling the model provider')
def step_further_fails_fast(context, code):
    crews.further_execution_fails_fast(context.world, code)


@then('its first attempt failed with "{code}"')
def step_first_attempt_failed(context, code):
    crews.first_attempt_failed_with(context.world, code)


@then("every request to the model provider carried the worker's key")
def step_right_key(context):
    crews.right_key_every_time(context.world)


@then("the provider key appears nowhere the service answers or stores")
def step_key_nowhere(context):
    crews.key_nowhere(context.world)


@then(
    "the rejected key appears nowhere the service answers or stores, "
    "though the provider repeated it"
)
def step_rejected_key_nowhere(context):
    crews.rejected_key_nowhere(context.world)


@then("the researcher did the research the manager handed over")
def step_researcher_did_delegated_work(context):
    crews.researcher_did_delegated_work(context.world)


@then("the crew asked the model provider nothing more")
def step_asked_nothing_more(context):
    crews.asked_nothing_more(context.world)
