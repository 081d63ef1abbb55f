"""Steps about real crewai crews resuming at the task that failed."""

from behave import given, then, when

from support import crewai_resumes


@given("a crew of {tasks:d} tasks, each building on the one before")
def step_chain(context, tasks):
    crewai_resumes.define_chain(context.world, tasks)


@given("a crew of {tasks:d} tasks, each building on the one before, with resume turned {state}")
def step_chain_resume(context, tasks, state):
    assert state in ("on", "off"), state
    crewai_resumes.define_chain(context.world, tasks, resume=state == "on")


@given("the model provider fails once, with HTTP 500, in task {index:d}")
def step_fails_once(context, index):
    crewai_resumes.fails_once_in(context.world, index)


@given('an execution of it about "{topic}" that has completed')
def step_completed(context, topic):
    crewai_resumes.completed_execution(context.world, topic)


@when('I rerun the execution from "{task}"')
def step_rerun(context, task):
    crewai_resumes.rerun_from(context.world, task)


@then("the model provider was called {count:d} times in all")
def step_called(context, count):
    crewai_resumes.called_times(context.world, count)


@then("after the failure it was called only for task {index:d} and the tasks after it")
def step_not_again(context, index):
    crewai_resumes.not_called_again_before(context.world, index)


@then("every task was given the output of the task before it")
def step_context(context):
    crewai_resumes.each_task_got_the_finding_before(context.world)


@then("the outputs are the findings of every task, in order")
def step_findings(context):
    crewai_resumes.outputs_are_the_findings(context.world)
