"""Steps about a graph's limit on executions queued or running at once."""

from behave import given, then, when

from support import limits


@given("a graph that allows {limit:d} executions queued or running at once")
def step_limited(context, limit):
    limits.limited_graph(context.world, limit)


@when("I queue another execution of the graph")
def step_another(context):
    limits.queue_another(context.world)


@when("{clients:d} clients queue an execution of the graph at the same moment")
def step_at_once(context, clients):
    limits.queue_at_once(context.world, clients)


@then('{accepted:d} are accepted and {refused:d} are refused with the code "{code}"')
def step_accepted_refused(context, accepted, refused, code):
    limits.accepted_and_refused(context.world, accepted, refused, code)


@then("the graph has {count:d} executions queued or running")
def step_graph_active(context, count):
    limits.graph_active(context.world, count)


@then("the refusal says when to try again")
def step_retry_after(context):
    limits.says_when_to_retry(context.world)
