"""Steps of the @performance features (features/performance/)."""

from behave import given, then, when

from support import performance as perf
from support import performance_timing as timing


@given("a graph whose crew does no work")
def step_zero_work_graph(context):
    perf.zero_work_graph(context.world)


@given("a graph whose crew takes {steps:d} steps of {ms:d} ms")
def step_stepped_graph(context, steps, ms):
    perf.stepped_graph(context.world, steps, ms)


@when("{users:d} users queue {count:d} executions of it at the same time")
def step_queue_concurrently(context, users, count):
    perf.measure_queueing(context.world, users, count)


@then("all {count:d} are accepted as queued, each with an id of its own")
def step_all_accepted(context, count):
    perf.all_accepted_with_own_ids(context.world, count)


@then("the service accepts at least {rate:d} executions per second")
def step_queue_rate(context, rate):
    perf.rate_at_least(context.world, "queue", rate)


@then("queueing answers within {ms:d} ms at the {pct:d}th percentile")
def step_queue_latency(context, ms, pct):
    perf.percentile_within(context.world, "queue", pct, ms)


@then("all {count:d} complete within {seconds:d} seconds")
def step_all_complete(context, count, seconds):
    perf.complete_within(context.world, count, seconds)


@given("{count:d} executions that have completed and an execution running in every worker slot")
def step_stored_and_running(context, count):
    perf.stored_and_running(context.world, count)


@when("{users:d} users check the status of those executions {count:d} times between them")
def step_check_statuses(context, users, count):
    perf.check_statuses(context.world, users, count)


@then("every check answers with the execution asked for")
def step_checks_answered(context):
    perf.every_check_answered(context.world)


@then("the service answers at least {rate:d} status checks per second")
def step_status_rate(context, rate):
    perf.rate_at_least(context.world, "status", rate)


@then("status checks answer within {ms:d} ms at the {pct:d}th percentile")
def step_status_latency(context, ms, pct):
    perf.percentile_within(context.world, "status", pct, ms)


@when("{users:d} users work at the same time:")
def step_mixed(context, users):
    perf.mixed_load_as_planned(context.world, users, context.table)


@then("no request failed: every answer is a success or a refusal to cancel a finished execution")
def step_no_request_failed(context):
    perf.no_request_failed(context.world)


@then("listing answers within {ms:d} ms at the {pct:d}th percentile")
def step_list_latency(context, ms, pct):
    perf.percentile_within(context.world, "list", pct, ms)


@then("cancelling answers within {ms:d} ms at the {pct:d}th percentile")
def step_cancel_latency(context, ms, pct):
    perf.percentile_within(context.world, "cancel", pct, ms)


@then("every execution ends completed or cancelled within {seconds:d} seconds, none stuck")
def step_mixed_end(context, seconds):
    perf.mixed_all_end(context.world, seconds)


@when("{count:d} executions of it run, as many at a time as there are worker slots")
def step_waves(context, count):
    timing.run_in_waves(context.world, count)


@then(
    "each reported duration, from start to finish, is at least {low:d} ms and at most {high:d} ms"
)
def step_durations(context, low, high):
    timing.durations_between(context.world, low, high)


@then("the reported durations are within {ms:d} ms at the 95th percentile")
def step_durations_p95(context, ms):
    timing.durations_p95_within(context.world, ms)


@then("each execution starts within {ms:d} ms of being queued at the 95th percentile")
def step_waits(context, ms):
    timing.waits_within(context.world, ms)


@then("each creation time falls between asking to queue and the answer, within {ms:d} ms")
def step_created_while_asked(context, ms):
    timing.created_while_asked(context.world, ms)


@then("each history records the same start and finish times as its execution, within {ms:d} ms")
def step_history_times(context, ms):
    timing.history_matches(context.world, ms)


@when("{users:d} users queue {count:d} executions of it as fast as they can")
def step_stress(context, users, count):
    perf.queue_flood(context.world, users, count)


@then(
    "none is lost: the service holds {count:d} executions, "
    "each with the history queued, running, completed"
)
def step_nothing_lost(context, count):
    perf.nothing_lost(context.world, count)


@then("none is stuck: nothing is left queued or running")
def step_nothing_stuck(context):
    perf.nothing_stuck(context.world)


@then("the service completes at least {rate:d} executions per second")
def step_throughput(context, rate):
    perf.throughput_at_least(context.world, rate)


@when(
    "{users:d} users each queue an execution and wait for it to complete, {cycles:d} times in a row"
)
def step_cycles(context, users, cycles):
    perf.rapid_cycles(context.world, users, cycles)


@then("all {count:d} cycles completed")
def step_cycles_completed(context, count):
    perf.every_cycle_completed(context.world, count)


@then("a cycle from queueing to completed takes under {ms:d} ms at the 95th percentile")
def step_cycle_p95(context, ms):
    perf.percentile_within(context.world, "cycle", 95, ms)


@then("no cycle takes longer than {seconds:d} seconds")
def step_cycle_worst(context, seconds):
    perf.worst_within(context.world, "cycle", seconds)


@given("an execution of it running in every worker slot, and {count:d} more waiting in the queue")
def step_busy_with_waiting(context, count):
    timing.busy_with_waiting(context.world, count)


@when("{users:d} users cancel all of them at the same time, the waiting ones first")
def step_cancel_everything(context, users):
    timing.cancel_everything(context.world, users)


@then('every cancel is answered "cancelled"')
def step_cancels_answered(context):
    timing.every_cancel_answered(context.world)


@then("every running crew stops within {seconds:d} second of its cancel")
def step_crews_stop(context, seconds):
    timing.crews_stop_within(context.world, seconds)


@then("none of the waiting executions ever started")
def step_waiting_never_started(context):
    timing.waiting_never_started(context.world)


@then("a new execution then completes within {seconds:d} seconds")
def step_next_completes(context, seconds):
    timing.new_execution_completes_within(context.world, seconds)
