"""Steps about when retries start: the waits between attempts."""

from behave import given, then

from support import retry_schedule


@given(
    "a graph that fails in a way worth retrying on its first {count:d} attempts, "
    "retried after {seconds:g} s at first, without jitter"
)
def step_doubling(context, count, seconds):
    retry_schedule.doubling_without_jitter(context.world, count, seconds)


@then("the waits between its attempts were {waits}")
def step_waits_were(context, waits):
    retry_schedule.waits_were(context.world, retry_schedule.parse_seconds(waits))


@given("a {before}-priority execution of the graph waiting in the queue, raised to {after}")
def step_waiting_raised(context, before, after):
    retry_schedule.waiting_then_raised(context.world, before, after)
