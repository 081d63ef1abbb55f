"""Steps about retries that resume at the task that failed, and reruns from a task."""

from behave import given, then, when

from support import resumes


@given("a crew of {tasks:d} tasks that fails once in its third task")
def step_fails_once(context, tasks):
    resumes.failing_once_in(context.world, tasks, 3)


@given("a crew of {tasks:d} tasks that fails once in its third task, with resume turned off")
def step_fails_once_no_resume(context, tasks):
    resumes.failing_once_in(context.world, tasks, 3, resume=False)


@given("a crew of {tasks:d} tasks run by a manager that fails once in its third task")
def step_managed_fails_once(context, tasks):
    resumes.managed_failing_once_in(context.world, tasks, 3)


@given("an execution of a crew of {tasks:d} tasks that has completed")
def step_completed(context, tasks):
    resumes.completed_execution(context.world, tasks)


@given("an execution of a crew of {tasks:d} tasks that failed for good in its {nth:w} task")
def step_failed_for_good(context, tasks, nth):
    resumes.failed_for_good_in(context.world, tasks, ["first", "second", "third"].index(nth) + 1)


@given("an execution that is still running")
def step_running(context):
    resumes.running_execution(context.world)


@when('I rerun it from "{task}"')
def step_rerun(context, task):
    resumes.rerun(context.world, task)


@when("I rerun it from the start")
def step_rerun_start(context):
    resumes.rerun(context.world, None)


@when('another owner, "{owner}", reruns it from "{task}"')
def step_rerun_other(context, owner, task):
    resumes.rerun(context.world, task, owner=owner)


@then('its {nth:w} attempt ran the tasks "{first}" to "{last}"')
def step_ran_from(context, nth, first, last):
    resumes.attempt_ran(context.world, ["first", "second", "third"].index(nth) + 1, first, last)


@then("every task's output is kept once, in the order of the tasks")
def step_outputs_in_order(context):
    resumes.outputs_in_task_order(context.world)


@then('the history of its second attempt names "{first}" and "{second}" as re-used')
def step_history_reused(context, first, second):
    resumes.history_names_reused(context.world, 2, [first, second])


@then('its event stream says "{first}" and "{second}" were re-used, with their outputs')
def step_stream_reused(context, first, second):
    resumes.stream_names_reused(context.world, [first, second])


@then("the history of its second attempt says it restarted because resume is off")
def step_history_resume_off(context):
    resumes.history_says_restarted(context.world, 2, "resume_off")


@then("the history of its second attempt says it restarted because a manager runs the crew")
def step_history_hierarchical(context):
    resumes.history_says_restarted(context.world, 2, "hierarchical")


@then("the rerun is accepted and completes within {seconds:d} seconds")
def step_rerun_completes(context, seconds):
    resumes.rerun_accepted(context.world, seconds)


@then("the rerun is accepted and fails again within {seconds:d} seconds")
def step_rerun_fails(context, seconds):
    resumes.rerun_accepted(context.world, seconds, "failed")


@then('it names the execution it reruns, from "{task}"')
def step_linked(context, task):
    resumes.linked_to_original(context.world, task)


@then("it has the graph, inputs, priority, metadata and timeout of the original")
def step_carries_over(context):
    resumes.carries_over(context.world)


@then(
    'its outputs of "{first}" and "{second}" are the original\'s, '
    "and its history says they were re-used"
)
def step_reused_outputs(context, first, second):
    resumes.reused_outputs_of_original(context.world, [first, second])


@then("the original execution is unchanged")
def step_original_unchanged(context):
    resumes.original_untouched(context.world)
