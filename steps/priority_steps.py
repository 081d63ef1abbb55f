"""Steps about priorities, queue statistics and queue limits."""

from behave import given, then, when

from support import priority_actions as queue


@given("{count:d} {priority}-priority executions waiting in the queue")
def step_waiting_many(context, count, priority):
    queue.queue_waiting(context.world, [priority] * count)


@given("a {priority}-priority execution waiting in the queue")
@given("then a {priority}-priority execution waiting in the queue")
def step_waiting_one(context, priority):
    queue.queue_waiting(context.world, [priority])


@given("a low, a normal, a high and a critical execution waiting in the queue, in that order")
def step_waiting_each(context):
    queue.queue_waiting(context.world, ["low", "normal", "high", "critical"])


@given(
    "{low:d} low-priority, {normal:d} normal-priority and {critical:d} critical execution "
    "waiting in the queue"
)
def step_waiting_mix(context, low, normal, critical):
    queue.queue_waiting(
        context.world, ["low"] * low + ["normal"] * normal + ["critical"] * critical
    )


@when("one worker becomes free")
def step_free_one(context):
    queue.free_one_worker(context.world)


@when("the workers become free one at a time")
def step_free_all(context):
    queue.free_workers_one_at_a_time(context.world)


@then("the high-priority execution is the next to start")
@then("the execution I raised is the next to start")
def step_next_is_focus(context):
    queue.next_to_start_is_last_queued(context.world)


@then("they start in the order {order}")
def step_order(context, order):
    if order == "they were queued":
        queue.start_order_is_queue_order(context.world)
    else:
        queue.start_order_by_priority(context.world, order.split(", "))


@when("I raise the priority of the last one to {priority}")
def step_raise(context, priority):
    queue.raise_priority(context.world, priority)
    queue.raised_ok(context.world)


@when("I lower its priority to {priority}")
def step_lower(context, priority):
    queue.raise_priority(context.world, priority)


@then("it runs only once")
def step_once(context):
    queue.runs_only_once(context.world)


@then("it is still waiting with {priority} priority")
def step_still_waiting(context, priority):
    queue.still_waiting_with(context.world, priority)


@then("the execution is accepted as queued with {priority} priority")
def step_accepted_priority(context, priority):
    queue.accepted_with_priority(context.world, priority)


@then("the queue statistics show every worker slot running")
def step_stats_running(context):
    queue.stats_every_slot_running(context.world)


@then(
    "the queue statistics show {low:d} low, {normal:d} normal, {high:d} high and "
    "{critical:d} critical queued"
)
def step_stats_priorities(context, low, normal, high, critical):
    queue.stats_queued_by_priority(
        context.world, {"low": low, "normal": normal, "high": high, "critical": critical}
    )


@then("the queue statistics agree with the list of executions")
def step_stats_listing(context):
    queue.stats_agree_with_listing(context.world)


@then("the queue statistics show every worker online with its slots")
def step_stats_workers(context):
    queue.stats_workers_online(context.world)


@then("the queue statistics show {completed:d} completed and {failed:d} failed in the last minute")
def step_stats_minute(context, completed, failed):
    queue.stats_finished_last_minute(context.world, completed, failed)


@then("the queue statistics show the oldest wait growing")
def step_stats_age(context):
    queue.stats_oldest_wait_grows(context.world)


@given("a graph that allows {limit:d} executions queued or running at once")
def step_limited(context, limit):
    queue.limited_graph(context.world, limit)


@given("{count:d} executions of the graph waiting in the queue")
def step_waiting_graph(context, count):
    queue.queue_waiting_of_graph(context.world, count)


@given("{count:d} executions of the graph that have failed")
def step_failed(context, count):
    queue.failed_executions(context.world, count)


@when("I queue another execution of the graph")
def step_another(context):
    queue.queue_another(context.world)


@when("{clients:d} clients queue an execution of the graph at the same moment")
def step_at_once(context, clients):
    queue.queue_at_once(context.world, clients)


@then('{accepted:d} are accepted and {refused:d} are refused with the code "{code}"')
def step_accepted_refused(context, accepted, refused, code):
    queue.accepted_and_refused(context.world, accepted, refused, code)


@then("the graph has {count:d} executions queued or running")
def step_graph_active(context, count):
    queue.graph_active(context.world, count)


@then("the refusal says when to try again")
def step_retry_after(context):
    queue.says_when_to_retry(context.world)
