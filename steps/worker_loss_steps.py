"""Steps about losing and restarting workers."""

from behave import given, then, when

from support import retries, worker_loss


@given(
    "a graph with 1 task of {steps:d} steps taking {ms:d} ms each, tried up to {attempts:d} times"
)
def step_retried_long(context, steps, ms, attempts):
    worker_loss.retried_long_graph(context.world, steps, ms, attempts)


@when("the worker process running it is killed")
def step_kill(context):
    worker_loss.kill_its_worker(context.world)


@then("its history shows the lost attempt and a second run")
def step_lost_attempt(context):
    worker_loss.lost_attempt_then_second_run(context.world)


@given("a graph that is rate-limited on its first attempt and retried after {seconds:g} seconds")
def step_slow_retry(context, seconds):
    retries.transient_then_success(context.world, 1, 3, base=seconds, max_delay=seconds, jitter=0)


@when("every worker is stopped and started again")
def step_restart(context):
    worker_loss.restart_every_worker(context.world)


@then("its second attempt ran on the restarted workers")
def step_after_restart(context):
    worker_loss.second_attempt_after_restart(context.world)
