"""Steps about the service's life: its database away and back, workers stopped
gracefully, and whether it is ready."""

from behave import given, then, when

from support import lifecycle


@when("I ask whether the service is ready")
def step_ask_ready(context):
    lifecycle.ask_ready(context.world)


@then("it answers ready, each of the database, the broker and the schema checks passing")
def step_ready(context):
    lifecycle.answers_ready(context.world)


@then("{reads:d} readiness checks in a row answer within {ms:d} ms at the 95th percentile")
def step_ready_fast(context, reads, ms):
    lifecycle.readiness_is_fast(context.world, reads, ms)


@then("it answers not ready, naming the {check}")
@then("the service answers not ready, naming the {check}")
def step_not_ready(context, check):
    lifecycle.answers_not_ready(context.world, check)


@then("the liveness check still answers that the service is alive")
def step_alive(context):
    lifecycle.alive(context.world)


@given("the database's schema is one migration behind the code")
def step_schema_behind(context):
    lifecycle.schema_one_behind(context.schema_behind)


@when("the database goes down")
def step_database_down(context):
    lifecycle.database_down(context.database_outage)


@when("the database is back")
def step_database_back(context):
    lifecycle.database_back(context.database_outage)


@when("the database goes down until the crew has finished, then comes back")
def step_down_while_finishing(context):
    lifecycle.database_down_while_crew_finishes(context.world, context.database_outage)


@when("the database stays down longer than the heartbeat timeout, then comes back")
def step_down_long(context):
    lifecycle.database_down_longer_than_heartbeat_timeout(context.world, context.database_outage)


@then("every call to the API answers 503 DATABASE_UNAVAILABLE with a Retry-After")
def step_503(context):
    lifecycle.answers_database_unavailable(context.world)


@then("the API serves again within 15 seconds")
def step_serves_again(context):
    lifecycle.serves_again(context.world)


@then("the API logged the outage without a server error")
def step_no_500(context):
    lifecycle.no_server_error_logged(context.world)


@then("its completion was written after the database came back")
def step_finished_after_back(context):
    lifecycle.finished_after_database_back(context.world)


@when("the worker running it is stopped gracefully")
def step_stop_gracefully(context):
    lifecycle.stop_its_worker_gracefully(context.world)


@then("the worker had exited within {seconds:d} seconds of being told to stop")
def step_exited_within(context, seconds):
    lifecycle.worker_exited_within(context.world, seconds)


@then("it completed on the stopped worker before that worker exited")
def step_completed_on_stopped(context):
    lifecycle.completed_on_the_stopped_worker(context.world)


@then(
    "it was handed back without an error and started on another worker "
    "within {seconds:d} seconds of the stop"
)
def step_handed_back(context, seconds):
    lifecycle.handed_back_and_started_elsewhere(context.world, seconds)


@then("nothing is left running")
def step_nothing_running(context):
    lifecycle.nothing_left_running(context.world)


@then("its attempt count is {count:d}: the run it handed back is not counted")
def step_not_counted(context, count):
    lifecycle.attempts_counted(context.world, count)
