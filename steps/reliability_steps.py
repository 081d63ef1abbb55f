"""Steps about executions surviving lost messages and a dying API."""

from behave import given, then, when

from support import reliability


@given("only one worker of 2 slots is running")
def step_one_worker(context):
    reliability.one_worker_only(context.world, context.add_cleanup)


@when("I queue {count:d} executions of a crew taking 1 second")
def step_queue_one_second(context, count):
    reliability.queue_of_one_second_crews(context.world, count)


@when("the broker loses every message it holds once {count:d} executions have completed")
def step_flush(context, count):
    reliability.flush_once_some_finished(context.world, count)


@then("each of them ran exactly once")
def step_each_once(context):
    reliability.each_ran_once(context.world)


@then("only those that were waiting when the broker lost them were sent again, once each")
def step_lost_sent_again(context):
    reliability.lost_were_sent_again(context.world)


@given("an execution the API committed but died before publishing")
def step_committed_not_published(context):
    reliability.api_died_after_commit(context.world)


@when("I queue {count:d} executions of a crew taking {ms:d} ms")
def step_backlog(context, count, ms):
    reliability.backlog_behind_busy_workers(context.world, count, ms)


@then("some of them waited in the queue longer than {seconds:g} seconds")
def step_waited(context, seconds):
    reliability.some_waited_past_the_bound(context.world, seconds)


@then("no message was sent again")
def step_none_again(context):
    reliability.none_sent_again(context.world)
