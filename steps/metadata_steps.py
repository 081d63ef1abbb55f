"""Steps about metadata on executions: queueing with it, listing and cancelling by it."""

from behave import given, then, when

from support import metadata


@when("I queue an execution with the metadata {text}")
def step_queue_with(context, text):
    metadata.queue_with(context.world, text)


@then("the answer, the execution and the listing show the metadata {text}")
def step_shown(context, text):
    metadata.shown_everywhere(context.world, text)


@then("an execution queued without metadata shows none")
def step_without(context):
    metadata.without_shows_none(context.world)


@given("my executions queued with the metadata")
@given("my executions waiting in the queue with the metadata")
def step_queue_table(context):
    metadata.queue_as_table(context.world, context.table)


@given('another owner "{owner}" has {count:d} executions with the metadata {text}')
def step_other_owner(context, owner, count, text):
    metadata.other_owner_queues(context.world, owner, count, text)


@given("1 more execution with the metadata {text} that I cancelled while it waited")
def step_queue_and_cancel(context, text):
    metadata.queue_and_cancel(context.world, text)


@when("I list my executions with the metadata {text}, {size:d} at a time")
def step_list_by(context, text, size):
    metadata.list_by(context.world, text, size)


@when("I list my cancelled executions with the metadata {text}")
def step_list_cancelled_by(context, text):
    metadata.list_cancelled_by(context.world, text)


@then(
    "I see exactly my {count:d} executions with the metadata {text}, newest first, "
    "each once, in {pages:d} pages"
)
def step_see_exactly(context, count, text, pages):
    metadata.see_exactly(context.world, count, text, pages)


@then("I see exactly that cancelled execution")
def step_see_cancelled(context):
    metadata.see_that_cancelled(context.world)


@when("I queue an execution with bad metadata: {bad}")
def step_queue_bad(context, bad):
    metadata.queue_bad(context.world, bad)


@when('I list my executions with the query "{query}"')
def step_list_query(context, query):
    metadata.list_with_query(context.world, query)


@given("every worker is busy, half with the metadata {first} and half with {second}")
def step_busy_half(context, first, second):
    metadata.busy_half_and_half(context.world, first, second)


@when("I cancel my executions with the metadata {text}, {per_call:d} per call, until none are left")
def step_cancel_in_calls(context, text, per_call):
    metadata.cancel_in_calls(context.world, text, per_call)


@when("I cancel my executions with the metadata {text}")
def step_cancel_by(context, text):
    metadata.cancel_by(context.world, text)


@when("I cancel my executions with the filter {body}")
def step_cancel_filter(context, body):
    metadata.cancel_by_filter(context.world, body)


@then("the answer counts and names every one of my unfinished executions with {text}")
def step_answer_names(context, text):
    metadata.answer_names_matching(context.world)


@then(
    "exactly those are cancelled, and the crews of the running ones stop within {seconds:d} seconds"
)
def step_matching_cancelled(context, seconds):
    metadata.matching_cancelled_and_stopped(context.world, seconds)


@then("none of my other executions is cancelled, and the running ones still run")
def step_others_untouched(context):
    metadata.others_untouched(context.world)


@then("none of the other owner's executions is cancelled")
def step_other_owner_waiting(context):
    metadata.other_owner_untouched(context.world)


@then("every unfinished execution of mine is cancelled")
def step_every_cancelled(context):
    metadata.every_unfinished_cancelled(context.world)


@then("the calls cancelled {a:d}, {b:d} and {c:d}, and only the last said there were no more")
def step_calls(context, a, b, c):
    metadata.calls_cancelled(context.world, [a, b, c])


@then("all {count:d} of them are cancelled")
def step_all_cancelled(context, count):
    metadata.all_cancelled(context.world, count)
