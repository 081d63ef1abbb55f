"""Steps about the circuit breaker."""

from behave import given, then, when

from support import breaker_actions as breaker


@given(
    "the service pauses calls to a provider after {threshold:d} provider failures in a row, "
    "for {cooldown:g} seconds"
)
def step_policy(context, threshold, cooldown):
    breaker.policy_is(context.world, threshold, cooldown)


@given("a graph whose provider is down")
def step_down(context):
    breaker.provider_down(context.world)


@given("a graph whose provider rejects the credentials")
def step_rejects(context):
    breaker.provider_rejects_key(context.world)


@given("a healthy graph on the same provider")
def step_healthy(context):
    breaker.healthy(context.world)


@given("a healthy graph on the same provider whose crew takes a second")
def step_healthy_slow(context):
    breaker.healthy(context.world, step_seconds=0.1, steps=10)


@given("a healthy graph on the same provider that may be tried {attempts:d} times")
def step_healthy_retried(context, attempts):
    breaker.healthy_retried(context.world, attempts)


@given("the provider's circuit has been opened by failures")
def step_opened(context):
    breaker.opened_by_failures(context.world)


@when("{count:d} executions of the graph have failed one after another")
def step_failed_in_a_row(context, count):
    breaker.failed_in_a_row(context.world, count)


@when("an execution of the healthy graph has completed")
def step_healthy_completed(context):
    breaker.healthy_completed(context.world)


@when("the cool-down has passed")
def step_cooled(context):
    breaker.cool_down_passed(context.world)


@when("I queue an execution of the healthy graph")
def step_queue_healthy(context):
    breaker.queue_healthy(context.world)


@when("I queue {count:d} executions of the healthy graph at once")
def step_queue_healthy_many(context, count):
    breaker.queue_healthy(context.world, count)


@when("I queue an execution of the graph whose provider is down")
def step_queue_down(context):
    breaker.queue_down(context.world)


@then("the provider's circuit is open")
def step_open(context):
    breaker.is_open(context.world)


@then("the queue statistics show the provider's circuit open")
def step_stats_open(context):
    breaker.stats_show_open(context.world)


@then("the provider's circuit is closed")
def step_closed(context):
    breaker.is_closed(context.world)


@then("the provider's circuit is closed with no failures counted")
def step_closed_clean(context):
    breaker.closed_without_failures(context.world)


@then("the crew never ran")
def step_never_ran(context):
    breaker.crew_never_ran(context.world)


@then("the provider's circuit is half-open while the trial runs")
def step_half_open(context):
    breaker.half_open_during_trial(context.world)


@then('exactly 1 of them completes and the others fail with "CIRCUIT_OPEN"')
def step_one_trial(context):
    breaker.one_trial_completes(context.world)


@then("the provider's circuit is open for another cool-down")
def step_open_again(context):
    breaker.open_again(context.world)


@then('its first attempt failed with "CIRCUIT_OPEN" and waited out the cool-down')
def step_waited(context):
    breaker.first_attempt_waited(context.world)


@given("a graph whose provider is down after a moment of work")
def step_down_after_work(context):
    breaker.provider_down_after_work(context.world)


@when("{count:d} executions of the graph fail at the same time")
def step_fail_at_once(context, count):
    breaker.fail_at_once(context.world, count)


@then("they failed on both worker processes, no more than 2 on either")
def step_both_workers(context):
    breaker.failed_on_both_workers(context.world)


@then('an execution of a healthy graph on the same provider then fails fast with "{code}"')
def step_healthy_fails_fast(context, code):
    breaker.healthy_fails_fast(context.world, code)
