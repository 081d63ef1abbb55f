"""Steps about losing and restarting workers."""

from behave import given, then, when

from support import worker_loss_actions as loss


@given(
    "a graph with 1 task of {steps:d} steps taking {ms:d} ms each, tried up to {attempts:d} times"
)
def step_retried_long(context, steps, ms, attempts):
    loss.retried_long_graph(context.world, steps, ms, attempts)


@when("the worker process running it is killed")
def step_kill(context):
    loss.kill_its_worker(context.world)


@then("its history shows the lost attempt and a second run")
def step_lost_attempt(context):
    loss.lost_attempt_then_second_run(context.world)


@given("a graph that is rate-limited on its first attempt and retried after {seconds:g} seconds")
def step_slow_retry(context, seconds):
    loss.rate_limited_once_slow_retry(context.world, seconds)


@when("every worker is stopped and started again")
def step_restart(context):
    loss.restart_every_worker(context.world)


@then("its second attempt ran on the restarted workers")
def step_after_restart(context):
    loss.second_attempt_after_restart(context.world)
