"""Steps about when retries start: the waits between attempts."""

from behave import given, then, when

from support import priorities, retry_schedule


@given(
    "a graph that fails in a way worth retrying on its first {count:d} attempts, "
    "retried after {seconds:g} s at first, without jitter"
)
def step_doubling(context, count, seconds):
    retry_schedule.doubling_without_jitter(context.world, count, seconds)


@then("the waits between its attempts were {waits}")
def step_waits_were(context, waits):
    retry_schedule.waits_were(context.world, retry_schedule.parse_seconds(waits))


@given("a {priority}-priority execution of the graph waiting in the queue")
def step_one_waiting(context, priority):
    retry_schedule.one_waiting_with(context.world, priority)


@when("I raise its priority to {priority}")
def step_raise_its(context, priority):
    priorities.raise_priority(context.world, priority)
