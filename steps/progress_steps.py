"""Steps about how progress moves: within every task, and across a retry."""

from behave import given, then

from support import progress


@then("while each task ran its progress rose within that task's share of the work")
def step_rose_within_tasks(context):
    progress.rose_within_every_task(context.world)


@given("a graph whose crew fails late in its first attempt and succeeds on its second")
def step_fails_late_then_succeeds(context):
    progress.fails_late_then_succeeds(context.world)


@then("the execution completed on its second attempt")
def step_completed_second(context):
    progress.completed_on_second_attempt(context.world)


@then("I watched the first attempt get far and the second one start over")
def step_watched_both(context):
    progress.watched_both_attempts(context.world)
