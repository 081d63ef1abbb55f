"""Steps about GET /metrics."""

from behave import then, when

from support import metrics


@then(
    "the metrics count {completed:d} executions completed and {failed:d} failed with the "
    'code "{code}"'
)
def step_finished_counted(context, completed, failed, code):
    metrics.finished_counted(context.world, completed, failed, code)


@then("the metrics' run times count {completed:d} completed and {failed:d} failed executions")
def step_run_times(context, completed, failed):
    metrics.run_times_counted(context.world, completed, failed)


@then("the metrics' queue waits count {count:d} executions of {priority} priority")
def step_queue_waits(context, count, priority):
    metrics.queue_waits_counted(context.world, count, priority)


@then("the metrics count the same once the ended executions are folded into their totals")
def step_same_after_fold(context):
    metrics.counts_stay_after_folding(context.world)


@then(
    "the metrics count {prompt:d} prompt and {completion:d} completion tokens in "
    "{calls:d} model calls"
)
def step_tokens(context, prompt, completion, calls):
    metrics.tokens_counted(context.world, prompt, completion, calls)


@then("the metrics count {retries:d} retry")
@then("the metrics count {retries:d} retries")
def step_retries(context, retries):
    metrics.retries_counted(context.world, retries)


@then(
    "the metrics show {low:d} low, {normal:d} normal, {high:d} high and {critical:d} "
    "critical queued"
)
def step_queued(context, low, normal, high, critical):
    metrics.queued_by_priority(
        context.world, {"low": low, "normal": normal, "high": high, "critical": critical}
    )


@then("the metrics show every worker slot running, on each worker")
def step_running_per_worker(context):
    metrics.every_slot_running_per_worker(context.world)


@then("the metrics show how long the oldest execution has waited")
def step_oldest(context):
    metrics.oldest_wait_shown(context.world)


@then("the metrics show a circuit breaker {state}")
def step_circuit(context, state):
    metrics.circuit_shown(context.world, state)


@when("I look up an execution that does not exist {times:d} times")
def step_unknown(context, times):
    metrics.look_up_unknown_execution(context.world, times)


@when("I queue {count:d} executions of a graph and they complete")
def step_queue_and_complete(context, count):
    metrics.queue_and_complete(context.world, count)


@then('the metrics count {more:d} more "{method} {route}" requests answered {status}')
def step_requests(context, more, method, route, status):
    metrics.requests_counted(context.world, more, method, route, status)


@when("the metrics are read with {who}")
def step_scraped_by(context, who):
    metrics.scraped_by(context.world, who)
