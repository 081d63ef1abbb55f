"""Steps about queueing with an Idempotency-Key."""

from behave import given, then, when

from support import idempotency


@when('I queue an execution of the graph with the idempotency key "{key}" about "{topic}"')
def step_queue_with_key(context, key, topic):
    idempotency.queue_with_key(context.world, topic, key)


@when("I queue an execution of the graph with an empty idempotency key")
def step_queue_with_empty_key(context):
    idempotency.queue_with_key(context.world, "octopuses", "")


@when("I queue an execution of the graph with an idempotency key of {n:d} characters")
def step_queue_with_long_key(context, n):
    idempotency.queue_with_key(context.world, "octopuses", "k" * n)


@when('{owner} queues an execution of its graph with the idempotency key "{key}"')
def step_owner_queues_with_key(context, owner, key):
    idempotency.owner_queues_with_key(context.world, owner, key)


@when(
    '{clients:d} clients queue an execution of the graph about "{topic}" '
    'with the idempotency key "{key}" at the same moment'
)
def step_clients_at_once(context, clients, topic, key):
    idempotency.clients_at_once(context.world, clients, topic, key)


@given('the request with the idempotency key "{key}" was made longer ago than the keeping time')
@when('the request with the idempotency key "{key}" was made longer ago than the keeping time')
def step_key_used_long_ago(context, key):
    idempotency.key_used_long_ago(context.world, key)


@then("the second answer is 200 with the first one's execution, as it is now")
def step_answered_with_first(context):
    idempotency.answered_with_the_first(context.world)


@then("the answer is the first one's execution, completed, with its result")
def step_answered_completed(context):
    idempotency.answered_completed(context.world)


@then("the graph has exactly {count:d} execution")
@then("the graph has exactly {count:d} executions")
def step_graph_has(context, count):
    idempotency.graph_has_executions(context.world, count)


@then("it is refused as a reused idempotency key, naming the header and the first execution")
def step_refused_reused(context):
    idempotency.refused_as_reused(context.world)


@then("it is refused as not valid, naming the Idempotency-Key header")
def step_refused_naming_header(context):
    idempotency.refused_naming_header(context.world)


@then("{owner} and I each have an execution of our own")
def step_own_executions(context, owner):
    idempotency.owners_have_their_own(context.world, owner)


@then("one is accepted and the other {replayed:d} answer 200 with the same execution")
def step_one_accepted(context, replayed):
    idempotency.one_accepted_others_replayed(context.world, replayed)


@then("it is accepted as a new execution")
def step_accepted_as_new(context):
    idempotency.accepted_as_new(context.world)
