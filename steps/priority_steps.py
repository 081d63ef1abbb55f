"""Steps about priorities: the order waiting executions start in."""

from behave import given, then, when

from support import priorities


@given("{count:d} {priority}-priority executions waiting in the queue")
def step_waiting_many(context, count, priority):
    priorities.queue_waiting_with(context.world, [priority] * count)


@given("a {priority}-priority execution waiting in the queue")
@given("then a {priority}-priority execution waiting in the queue")
def step_waiting_one(context, priority):
    priorities.queue_waiting_with(context.world, [priority])


@given("a low, a normal, a high and a critical execution waiting in the queue, in that order")
def step_waiting_each(context):
    priorities.queue_waiting_with(context.world, ["low", "normal", "high", "critical"])


@given(
    "{low:d} low-priority, {normal:d} normal-priority and {critical:d} critical execution "
    "waiting in the queue"
)
def step_waiting_mix(context, low, normal, critical):
    priorities.queue_waiting_with(
        context.world, ["low"] * low + ["normal"] * normal + ["critical"] * critical
    )


@when("one worker becomes free")
def step_free_one(context):
    priorities.free_one_worker(context.world)


@when("the workers become free one at a time")
def step_free_all(context):
    priorities.free_workers_one_at_a_time(context.world)


@then("the high-priority execution is the next to start")
@then("the execution I raised is the next to start")
def step_next_is_focus(context):
    priorities.next_to_start_is_last_queued(context.world)


@then("they start in the order {order}")
def step_order(context, order):
    priorities.start_order_is(context.world, order)


@when("I raise the priority of the last one to {priority}")
def step_raise(context, priority):
    priorities.raise_priority(context.world, priority)


@when("I raise its priority to {priority}")
@when("I lower its priority to {priority}")
@when("I ask for its priority to be {priority}")
def step_change(context, priority):
    priorities.change_priority(context.world, priority)


@then("it runs only once")
def step_once(context):
    priorities.runs_only_once(context.world)


@then("it is still waiting with {priority} priority")
def step_still_waiting(context, priority):
    priorities.still_waiting_with(context.world, priority)


@then(
    "the answer, the execution, the list and the statistics all show it waiting with "
    "{priority} priority"
)
def step_shown_everywhere(context, priority):
    priorities.shown_everywhere_with(context.world, priority)


@then("the execution is accepted as queued with {priority} priority")
def step_accepted_priority(context, priority):
    priorities.accepted_with_priority(context.world, priority)
