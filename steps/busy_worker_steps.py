"""Steps about busy workers and the executions waiting behind them."""

from behave import given, then

from support import busy_workers


@given("every worker is busy with a long execution")
def step_busy(context):
    busy_workers.occupy_workers(context.world)


@given("an execution waiting in the queue")
def step_waiting(context):
    busy_workers.queue_waiting(context.world)


@given("{count:d} more executions waiting in the queue")
@given("{count:d} executions of the graph waiting in the queue")
def step_more_waiting(context, count):
    busy_workers.queue_waiting(context.world, count)


@then("after the workers are free it has still never started")
def step_never_started(context):
    busy_workers.never_started_once_free(context.world, "cancelled")


@then("after the workers are free it has still never run")
def step_never_run(context):
    busy_workers.never_started_once_free(context.world, "timed_out")
