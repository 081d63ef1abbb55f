"""Steps about retries."""

from behave import given, then, when

from support import retries


@given(
    "a graph that is rate-limited on its first {count:d} attempts, with up to {attempts:d} attempts"
)
def step_rate_limited(context, count, attempts):
    retries.transient_then_success(context.world, count, attempts)


@given(
    "a graph whose provider rejects the credentials on every attempt, "
    "with up to {attempts:d} attempts"
)
def step_auth_fails(context, attempts):
    retries.always_failing(context.world, "auth_failed", attempts)


@given("a graph whose provider is unavailable on every attempt, with up to {attempts:d} attempts")
def step_unavailable(context, attempts):
    retries.always_failing(context.world, "service_unavailable", attempts)


@given("a graph whose provider is unavailable on every attempt, retried after {seconds:d} seconds")
def step_unavailable_slow(context, seconds):
    retries.always_failing(context.world, "service_unavailable", 5, base=seconds)


@given(
    "a graph whose provider is unavailable on every attempt, retried every {every:g} seconds "
    "up to {attempts:d} times"
)
def step_retried_often(context, every, attempts):
    retries.always_failing(
        context.world, "service_unavailable", attempts, base=every, max_delay=every
    )


@given(
    "a graph that fails transiently on its first {count:d} attempts, retried with a "
    "{base:g} s base delay, a {cap:g} s cap and {jitter:d}% jitter"
)
def step_backoff(context, count, base, cap, jitter):
    retries.transient_then_success(
        context.world,
        count,
        count + 1,
        base=base,
        max_delay=cap,
        jitter=jitter / 100,
        kind="server_error",
    )


@given(
    "a graph that is rate-limited with a Retry-After of {seconds:g} seconds on its first attempt"
)
def step_retry_after(context, seconds):
    retries.transient_then_success(context.world, 1, 2, retry_after_seconds=seconds)


@then("each failed attempt's error is in its history")
def step_errors_in_history(context):
    retries.failed_attempts_in_history(context.world)


@then("its error says it came from attempt {attempt:d}")
def step_error_attempt(context, attempt):
    retries.error_from_attempt(context.world, attempt)


@then("each wait between attempts lies within the policy's bounds")
def step_waits(context):
    retries.waits_within_policy(context.world)


@then("the wait before its second attempt was at least {seconds:g} seconds")
def step_first_wait(context, seconds):
    retries.first_wait_at_least(context.world, seconds)


@then("it took {count:d} attempt")
@then("it took {count:d} attempts")
def step_attempts(context, count):
    retries.attempts_taken(context.world, count)


@when("it is waiting for its next attempt")
def step_waiting(context):
    retries.waiting_for_next_attempt(context.world)


@then("it is not run again, even after its retry was due")
def step_not_again(context):
    retries.not_run_again(context.world)
