"""Steps about the circuit breaker."""

from behave import given, then, when

from support import breakers


@given(
    "the service pauses calls to a provider after {threshold:d} provider failures in a row, "
    "for {cooldown:g} seconds"
)
def step_policy(context, threshold, cooldown):
    breakers.policy_is(context.world, threshold, cooldown)


@given("a graph whose provider is down")
def step_down(context):
    breakers.provider_down(context.world)


@given("a graph whose provider rejects the credentials")
def step_rejects(context):
    breakers.provider_rejects_key(context.world)


@given("a healthy graph on the same provider")
def step_healthy(context):
    breakers.healthy(context.world)


@given("a healthy graph on the same provider whose crew takes a second")
def step_healthy_slow(context):
    breakers.healthy(context.world, step_seconds=0.1, steps=10)


@given("a healthy graph on the same provider that may be tried {attempts:d} times")
def step_healthy_retried(context, attempts):
    breakers.healthy_retried(context.world, attempts)


@given("the provider's circuit has been opened by failures")
def step_opened(context):
    breakers.opened_by_failures(context.world)


@when("{count:d} executions of the graph have failed one after another")
def step_failed_in_a_row(context, count):
    breakers.failed_in_a_row(context.world, count)


@when("an execution of the healthy graph has completed")
def step_healthy_completed(context):
    breakers.healthy_completed(context.world)


@when("the cool-down has passed")
def step_cooled(context):
    breakers.cool_down_passed(context.world)


@when("I queue an execution of the healthy graph")
def step_queue_healthy(context):
    breakers.queue_healthy(context.world)


@when("I queue {count:d} executions of the healthy graph at once")
def step_queue_healthy_many(context, count):
    breakers.queue_healthy(context.world, count)


@when("I queue an execution of the graph whose provider is down")
def step_queue_down(context):
    breakers.queue_down(context.world)


@then("the provider's circuit is open")
def step_open(context):
    breakers.is_open(context.world)


@then("the queue statistics show the provider's circuit open")
def step_stats_open(context):
    breakers.stats_show_open(context.world)


@then("the provider's circuit is closed")
def step_closed(context):
    breakers.is_closed(context.world)


@then("the provider's circuit is closed with no failures counted")
def step_closed_clean(context):
    breakers.closed_without_failures(context.world)


@then("the crew never ran")
def step_never_ran(context):
    breakers.crew_never_ran(context.world)


@then("the provider's circuit is half-open while the trial runs")
def step_half_open(context):
    breakers.half_open_during_trial(context.world)


@then('exactly 1 of them completes and the others fail with "CIRCUIT_OPEN"')
def step_one_trial(context):
    breakers.one_trial_completes(context.world)


@then("the provider's circuit is open for another cool-down")
def step_open_again(context):
    breakers.open_again(context.world)


@then('its first attempt failed with "CIRCUIT_OPEN" and waited out the cool-down')
def step_waited(context):
    breakers.first_attempt_waited(context.world)


@given("a graph whose provider is down after a moment of work")
def step_down_after_work(context):
    breakers.provider_down_after_work(context.world)


@when("{count:d} executions of the graph fail at the same time")
def step_fail_at_once(context, count):
    breakers.fail_at_once(context.world, count)


@then("they failed on both worker processes, no more than 2 on either")
def step_both_workers(context):
    breakers.failed_on_both_workers(context.world)


@then('an execution of a healthy graph on the same provider then fails fast with "{code}"')
def step_healthy_fails_fast(context, code):
    breakers.healthy_fails_fast(context.world, code)
