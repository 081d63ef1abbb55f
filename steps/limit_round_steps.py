"""Steps about rounds of many clients racing for the limits of several graphs."""

from behave import given, then, when

from support import limit_rounds


@given("{count:d} graphs that each allow {limit:d} executions queued or running at once")
def step_limited_graphs(context, count, limit):
    limit_rounds.limited_graphs(context.world, count, limit)


@when("for each graph in turn, {clients:d} clients queue an execution of it at the same moment")
def step_in_turn(context, clients):
    limit_rounds.queue_at_once_in_turn(context.world, clients)


@then(
    'for every graph {accepted:d} are accepted and {refused:d} are refused with the code "{code}"'
)
def step_each_accepted_refused(context, accepted, refused, code):
    limit_rounds.each_accepted_and_refused(context.world, accepted, refused, code)


@then("every graph has {count:d} executions queued or running")
def step_each_active(context, count):
    limit_rounds.each_active(context.world, count)
