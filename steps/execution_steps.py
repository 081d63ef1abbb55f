"""Steps about queueing and running executions."""

from behave import given, then, when

from support import executions


@when("I queue an execution of the graph")
@when("I queue an execution of that graph")
def step_queue(context):
    executions.queue(context.world)


@when('I queue an execution of the graph about "{topic}"')
def step_queue_topic(context, topic):
    executions.queue(context.world, topic=topic)


@given("{count:d} executions of the graph that have completed")
def step_completed(context, count):
    executions.have_ended(context.world, count, "completed")


@given("{count:d} executions of the graph that have failed")
def step_failed(context, count):
    executions.have_ended(context.world, count, "failed")


@when("I queue {count:d} executions of the graph, each about a different topic")
def step_queue_topics(context, count):
    executions.queue_many_topics(context.world, count)


@then("the execution is accepted as queued")
def step_accepted(context):
    executions.accepted_as_queued(context.world)


@then("the execution completes within {seconds:d} seconds")
def step_completes(context, seconds):
    executions.finishes_within(context.world, "completed", seconds)


@then("all of them complete within {seconds:d} seconds")
def step_all_complete(context, seconds):
    executions.all_complete_within(context.world, seconds)


@then("the execution is running within {seconds:d} seconds")
def step_running(context, seconds):
    executions.running_within(context.world, seconds)


@then("its result is the output of its last task")
def step_result_last(context):
    executions.result_is_last_task_output(context.world)


@then("the output of every task is kept")
def step_outputs_kept(context):
    executions.every_task_output_kept(context.world)


@when("I watch its progress until it finishes")
def step_watch(context):
    executions.watch_until_finished(context.world)


@then("the progress I saw never went down")
def step_never_down(context):
    executions.progress_never_went_down(context.world)


@then("I saw progress between 0% and 100% while it ran")
def step_progress_between(context):
    executions.progress_seen_between(context.world)


@then("the progress ended at 100%")
def step_progress_100(context):
    executions.progress_ended_at_100(context.world)


@then("its history is {statuses}")
@then("its history so far is {statuses}")
def step_history(context, statuses):
    executions.history_is(context.world, statuses.split(", "))


@then("the times in its history are in order")
def step_history_order(context):
    executions.history_in_order(context.world)


@then("it started and finished between queueing and now")
def step_window(context):
    executions.started_and_finished_in_window(context.world)


@then('its result mentions "{text}"')
def step_result_mentions(context, text):
    executions.result_mentions(context.world, text)


@then("each result mentions its own topic")
def step_each_topic(context):
    executions.each_result_mentions_its_topic(context.world)


@then("each execution has a history of its own")
def step_each_history(context):
    executions.each_has_own_history(context.world)


@given("an execution of the graph that has completed")
def step_completed_execution(context):
    executions.completed_execution(context.world)


@when("its message reaches a worker a second time")
def step_redeliver(context):
    executions.redeliver(context.world)


@then("the execution stays completed with the same result")
def step_stays_completed(context):
    executions.stays_completed(context.world)


@then("its history still shows a single run")
def step_single_run(context):
    executions.single_run_in_history(context.world)


@then("while it runs its progress names the task in progress")
def step_progress_names_task(context):
    executions.progress_names_task(context.world)


@then("no execution was created")
def step_none_created(context):
    executions.no_execution_created(context.world)


@then("nothing was written")
def step_nothing_written(context):
    executions.nothing_written(context.world)
