"""Steps about several worker processes sharing the work."""

from behave import given, then, when

from support import scaling


@given("two workers are running")
def step_two_workers(context):
    scaling.workers_running(context.world, 2)


@when("I queue a burst of {count:d} executions")
def step_burst(context, count):
    scaling.queue_burst(context.world, count)


@then("all of them complete")
def step_all_complete(context):
    scaling.all_complete(context.world)


@then("both workers ran some of them")
def step_both_ran_some(context):
    scaling.every_worker_ran_some(context.world)
