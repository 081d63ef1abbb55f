"""Steps about busy workers, waiting executions and cancelling them."""

from behave import given, then, when

from support import execution_actions as executions


@given("every worker is busy with a long execution")
def step_busy(context):
    executions.occupy_workers(context.world)


@given("an execution waiting in the queue")
def step_waiting(context):
    executions.queue_waiting(context.world)


@given("{count:d} more executions waiting in the queue")
def step_more_waiting(context, count):
    executions.queue_waiting(context.world, count)


@when("I cancel the waiting execution")
def step_cancel(context):
    executions.cancel(context.world)


@then("it is cancelled at once")
def step_cancelled(context):
    executions.cancelled_at_once(context.world)


@then("after the workers are free it has still never started")
def step_never_started(context):
    executions.never_started_after_workers_free(context.world)
