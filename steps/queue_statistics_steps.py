"""Steps about the queue statistics."""

from behave import given, then

from support import queue_statistics


@then("the queue statistics show every worker slot running")
def step_every_slot_running(context):
    queue_statistics.every_slot_running(context.world)


@then("the queue statistics show every worker slot running and {count:d} queued")
def step_busy_and_queued(context, count):
    queue_statistics.busy_and_queued(context.world, count)


@then(
    "the queue statistics show {low:d} low, {normal:d} normal, {high:d} high and "
    "{critical:d} critical queued"
)
def step_queued_by_priority(context, low, normal, high, critical):
    queue_statistics.queued_by_priority(
        context.world, {"low": low, "normal": normal, "high": high, "critical": critical}
    )


@then("the queue statistics agree with the list of executions")
def step_agree_with_listing(context):
    queue_statistics.agree_with_listing(context.world)


@then("the queue statistics show every worker online with its slots")
def step_workers_online(context):
    queue_statistics.workers_online(context.world)


@then("the queue statistics show {completed:d} completed and {failed:d} failed in the last minute")
def step_finished_last_minute(context, completed, failed):
    queue_statistics.finished_last_minute(context.world, completed, failed)


@then("the queue statistics show the oldest wait growing")
def step_oldest_wait_grows(context):
    queue_statistics.oldest_wait_grows(context.world)


@then("the queue statistics show how long the oldest execution has waited")
def step_oldest_wait_shown(context):
    queue_statistics.oldest_wait_shown(context.world)


@then("the queue statistics are unchanged")
def step_unchanged(context):
    queue_statistics.unchanged(context.world)


@given("an execution that has completed, one that has failed and one waiting for its next attempt")
def step_ended_and_retrying(context):
    queue_statistics.ended_and_retrying(context.world)


@given("executions waiting in the queue with the priorities {priorities}")
def step_waiting_with_priorities(context, priorities):
    queue_statistics.waiting_with_priorities(context.world, priorities)


@given("executions cancelled while waiting, with the priorities {priorities}")
def step_cancelled_with_priorities(context, priorities):
    queue_statistics.cancelled_while_waiting(context.world, priorities)


@given("an execution that was cancelled while it waited")
def step_cancelled_while_waiting(context):
    queue_statistics.cancelled_while_waiting(context.world)


@given("a second later, {count:d} executions waiting in the queue, queued a second apart")
def step_waiting_apart(context, count):
    queue_statistics.waiting_apart(context.world, count)


@then("the queue statistics show every worker slot running and {count:d} retrying")
def step_running_and_retrying(context, count):
    queue_statistics.running_and_retrying(context.world, count)


@then(
    "the queue statistics show {completed:d} completed, {failed:d} failed and "
    "{cancelled:d} cancelled executions"
)
def step_ended_counts(context, completed, failed, cancelled):
    queue_statistics.ended_counts(context.world, completed, failed, cancelled)


@then("the queue statistics show the wait of the execution waiting longest as the oldest wait")
def step_oldest_wait_is_longest(context):
    queue_statistics.oldest_wait_is_longest_waiting(context.world)
