"""Steps about the event stream and the blocking wait."""

from behave import given, then, when

from support import event_stream


@when("I follow its event stream to the end")
def step_follow(context):
    event_stream.follow_to_end(context.world)


@then(
    "I saw every event once, in order: the whole history, each task's start and output, "
    "and progress"
)
def step_every_event(context):
    event_stream.every_event_once_in_order(context.world)


@then("the stream ended after the execution {status}")
def step_ended(context, status):
    event_stream.ended_after_final(context.world, status)


@given("a graph whose crew fails in its last task on the first attempt and succeeds when retried")
def step_retried_crew(context):
    event_stream.retried_crew(context.world)


@when(
    "I follow its event stream until the first task's output, then reconnect with the last event id"
)
def step_reconnect(context):
    event_stream.follow_with_reconnect(context.world)


@then("the two pieces together are exactly the stream read from the start, with the retry's wait")
def step_pieces(context):
    event_stream.pieces_are_the_whole(context.world)


@given("a graph whose only step takes {seconds:d} seconds")
def step_long_crew(context, seconds):
    event_stream.long_crew(context.world, seconds)


@then("its event stream sends a keep-alive within {seconds:d} seconds")
def step_keep_alive(context, seconds):
    event_stream.quiet_stream_keeps_alive(context.world, seconds)


@when('the owner "{owner}" follows its event stream and waits on it')
def step_other_owner(context, owner):
    event_stream.other_owner_follows(context.world, owner)


@then("both are answered 404, as if it did not exist")
def step_other_refused(context):
    event_stream.other_owner_refused(context.world)


@when("I queue {count:d} executions one after another, waiting on each")
def step_wait_several(context, count):
    event_stream.wait_on_several(context.world, count)


@then("each wait answered soon after the execution finished")
def step_waits_soon(context):
    event_stream.waits_answered_soon(context.world)


@when("I wait on it for {seconds:d} second")
@when("I wait on it for {seconds:d} seconds")
def step_wait(context, seconds):
    if seconds > 60:
        event_stream.wait_too_long(context.world, seconds)
    else:
        event_stream.wait_runs_out(context.world, seconds)


@then("the answer came after {seconds:d} second and says it is running")
def step_current_state(context, seconds):
    event_stream.answered_current_state(context.world, seconds)


@then("the wait is refused naming wait")
def step_refused_wait(context):
    event_stream.refused_naming_wait(context.world)
