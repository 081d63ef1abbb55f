"""Steps about crews that work slowly but are healthy."""

from behave import given

from support import slow_crews


@given("a graph whose single step lasts longer than a worker may stay silent")
def step_slow_step(context):
    slow_crews.single_step_beyond_heartbeat_timeout(context.world)
