"""Steps about owners, their API keys and what each may see and change."""

import parse
from behave import given, register_type, then, when

from support import owners


@parse.with_pattern(r"[A-Za-z][A-Za-z0-9_-]*")
def _owner_name(text):
    return text


register_type(Owner=_owner_name)  # one word: "acme" in "I look up acme's graph"


@given('another owner, "{owner:Owner}", with an API key of its own')
def step_other_owner(context, owner):
    owners.other_owner(context.world, owner)


@when("I list the executions without an API key")
def step_list_without_key(context):
    owners.list_without_key(context.world)


@when("I list the executions with a key the service never issued")
def step_list_unknown_key(context):
    owners.list_with_unknown_key(context.world)


@then("it is refused as unauthenticated, asking for a bearer key")
def step_refused_missing(context):
    owners.refused_unauthenticated(context.world, "missing")


@then("it is refused as unauthenticated, saying the key is not valid")
def step_refused_invalid(context):
    owners.refused_unauthenticated(context.world, "invalid")


@given("{owner:Owner} has defined a graph")
def step_owner_graph(context, owner):
    owners.owner_defines_graph(context.world, owner)


@when("the operator revokes {owner:Owner}'s key")
def step_revoke(context, owner):
    owners.revoke(context.world, owner)


@then("{owner:Owner}'s requests are refused as unauthenticated within {seconds:d} seconds")
def step_refused_within(context, owner, seconds):
    owners.refused_within(context.world, owner, seconds)


@then("{owner:Owner}'s graph is still stored")
def step_still_stored(context, owner):
    owners.still_stored(context.world, owner)


@when("I {act} {owner:Owner}'s graph")
def step_act_on_graph(context, act, owner):
    owners.act_on_graph(context.world, act, owner)


@then("{owner:Owner}'s graph is unchanged, with no execution of it")
def step_graph_untouched(context, owner):
    owners.graph_untouched(context.world, owner)


@given("{owner:Owner} has an execution waiting in the queue behind my long ones")
def step_owner_waiting(context, owner):
    owners.owner_has_waiting_execution(context.world, owner)


@when("I {act} {owner:Owner}'s execution")
def step_act_on_execution(context, act, owner):
    owners.act_on_execution(context.world, act)


@then("{owner:Owner}'s execution is unchanged")
def step_execution_untouched(context, owner):
    owners.execution_untouched(context.world, owner)


@given("I have {count:d} executions that have completed")
@given("{owner:Owner} has {count:d} executions that have completed")
def step_owner_completed(context, count, owner="I"):
    owners.completed_executions(context.world, owner, count)


@then("I list exactly my own executions")
@then("{owner:Owner} lists exactly its own executions")
def step_lists_own(context, owner="I"):
    owners.listing_shows_only(context.world, owner)


@then("I see only my own executions in the queue statistics")
@then("{owner:Owner} sees only its own executions in the queue statistics")
def step_stats_own(context, owner="I"):
    owners.statistics_count_only(context.world, owner)


@then("listing the executions of {owner:Owner}'s graph shows me none")
def step_list_their_graph(context, owner):
    owners.listing_by_their_graph_is_empty(context.world, owner)


@when("I reset the provider's circuit with my own key")
def step_member_reset(context):
    owners.reset_circuit(context.world, as_operator=False)


@when("the operator resets the provider's circuit")
def step_operator_reset(context):
    owners.reset_circuit(context.world, as_operator=True)


@then('the provider\'s circuit is still "{state}"')
@then('the provider\'s circuit is "{state}"')
def step_circuit_is(context, state):
    owners.circuit_is(context.world, state)


@then("the reset is done")
def step_reset_done(context):
    owners.reset_accepted(context.world)


@given("the operator allows {owner:Owner} at most {limit:d} executions queued or running")
def step_owner_limit(context, owner, limit):
    owners.owner_limit(context.world, owner, limit)


@given("{owner:Owner} has {count:d} long executions under way")
def step_owner_long(context, owner, count):
    owners.owner_runs_long(context.world, owner, count)


@when("{owner:Owner} queues one more execution")
def step_owner_one_more(context, owner):
    owners.owner_queues_one_more(context.world, owner)


@then("it is refused for {owner:Owner}'s limit of {limit:d}, with a time to try again")
def step_refused_owner_limit(context, owner, limit):
    owners.refused_for_owner_limit(context.world, owner, limit)


@then('it is refused as forbidden with the code "{code}"')
def step_refused_forbidden(context, code):
    owners.refused_forbidden(context.world, code)


@then("I can still queue an execution of a graph of mine")
def step_still_queue(context):
    owners.i_can_still_queue(context.world)


@when("the operator starts the API on the shared database with authentication disabled")
def step_start_without_auth(context):
    owners.start_api_without_keys_on_shared_database(context.world)


@then('it refuses to start, naming "{setting}"')
def step_refuses_to_start(context, setting):
    owners.refused_to_start(context.world, setting)
