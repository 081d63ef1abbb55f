"""Steps about cancelling executions and their deadlines."""

from behave import given, then, when

from support import stops


@given("an execution of the graph that is running")
def step_running(context):
    stops.running_execution(context.world)


@when("I cancel it")
@when("I cancel the waiting execution")
def step_cancel(context):
    stops.cancel(context.world)


@then("it is cancelled at once")
def step_cancelled(context):
    stops.cancelled_at_once(context.world)


@then("its crew stops within {seconds:d} second")
def step_crew_stops(context, seconds):
    stops.crew_stops_within(context.world, seconds)


@then("the progress it made is kept")
def step_progress_kept(context):
    stops.progress_kept(context.world)


@given("every worker is busy with a crew that does not stop when asked")
def step_stubborn(context):
    stops.occupy_with_stubborn_crews(context.world)


@given(
    "every worker is busy with a crew that does not stop when asked, "
    "each with a timeout of {seconds:g} second"
)
def step_stubborn_timeout(context, seconds):
    stops.occupy_with_stubborn_crews(context.world, timeout=seconds)


@when("I cancel one of the busy executions")
def step_cancel_blocker(context):
    stops.cancel_a_blocker(context.world)


@then("its crew is stopped within {seconds:d} second")
def step_blocker_stops(context, seconds):
    stops.blocker_stops_within(context.world, seconds)


@then("the waiting execution starts within {seconds:d} seconds")
def step_waiting_starts(context, seconds):
    stops.waiting_starts_within(context.world, seconds)


@when("I cancel it twice")
def step_cancel_twice(context):
    stops.cancel_twice(context.world)


@then("both answers say it is cancelled, and its history shows one cancellation")
def step_both_cancelled(context):
    stops.both_answers_cancelled(context.world)


@given("an execution that has {how}")
def step_ended(context, how):
    stops.ended_execution(context.world, how)


@then("it is refused as already finished, and it is still {status} with the same history")
def step_refused_unchanged(context, status):
    stops.refused_unchanged(context.world, status)


@when("I cancel {count:d} executions just as they are finishing")
def step_race(context, count):
    stops.race_cancel_with_completion(context.world, count)


@then("each ended in exactly one final state, the one its cancel answer promised")
def step_race_outcome(context):
    stops.one_terminal_state_each(context.world)


@when("I cancel {count:d} running executions whose crews take 100 ms steps, one after another")
def step_stop_latency(context, count):
    stops.measure_stop_latency(context.world, count)


@then("the time from cancel to stopped crew is under {seconds:g} second at the 95th percentile")
@then("they end within {seconds:g} second of their deadline at the 95th percentile")
def step_p95(context, seconds):
    stops.p95_under(context.world, seconds)


@when("I queue an execution of the graph with a timeout of {seconds:g} second")
@when("I queue an execution of the graph with a timeout of {seconds:g} seconds")
def step_queue_timeout(context, seconds):
    stops.queue_with_timeout(context.world, seconds)


@then("the execution times out within {seconds:d} seconds")
def step_times_out(context, seconds):
    stops.times_out_within(context.world, seconds)


@then('the execution times out within {seconds:d} seconds with the code "{code}"')
def step_times_out_code(context, seconds, code):
    stops.times_out_within(context.world, seconds, code)


@then("it ended within {seconds:g} seconds of its deadline")
def step_near_deadline(context, seconds):
    stops.ended_near_deadline(context.world, seconds)


@then("its deadline was {seconds:g} second after it started")
def step_deadline(context, seconds):
    stops.deadline_is_start_plus(context.world, seconds)


@given("a graph whose executions time out after {seconds:g} second unless told otherwise")
def step_graph_timeout(context, seconds):
    stops.graph_default_timeout(context.world, seconds)


@then("the busy executions time out and the waiting execution starts within {seconds:d} seconds")
def step_blockers_time_out(context, seconds):
    stops.blockers_time_out_and_next_starts(context.world, seconds)


@then("it took fewer than {count:d} attempts")
def step_fewer(context, count):
    stops.attempts_fewer_than(context.world, count)


@then("it stays timed out")
def step_stays_timed_out(context):
    stops.stays_timed_out(context.world, 1.0)


@when("I queue an execution that may wait at most {seconds:g} second in the queue")
def step_queue_deadline(context, seconds):
    stops.queue_with_queue_deadline(context.world, seconds)


@when("{count:d} executions with a timeout of {timeout:g} seconds run crews with 100 ms steps")
def step_accuracy(context, count, timeout):
    stops.measure_timeout_accuracy(context.world, count, timeout)
