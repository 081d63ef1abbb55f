"""Steps about the provider policy: which model endpoints and keys a graph may name."""

from behave import given, then, when

from support import provider_policy


@given("a listener that records every key sent to it")
def step_listener(context):
    provider_policy.listener_ready(context.key_listener)


@when("I define a crew whose agent sends the worker's key to that listener")
def step_define_leak(context):
    provider_policy.define_sending_workers_key_to(context.world, context.key_listener)


@when('I define a crew whose agent sends the key "{key_env}" to the model provider')
def step_define_key_at_provider(context, key_env):
    provider_policy.define_sending_key_to_provider(context.world, key_env)


@when("I define a managed crew whose manager's model is at that listener")
def step_define_manager_at_listener(context):
    provider_policy.define_managed_by_model_at(context.world, context.key_listener)


@when("I define a crew whose model is at {address}")
def step_define_at_address(context, address):
    provider_policy.define_scripted_crew_at(context.world, address)


@then('the refusal names the field "{field}"')
def step_refusal_names_field(context, field):
    provider_policy.refusal_names_field(context.world, field)


@then("the graph is accepted")
def step_graph_accepted(context):
    provider_policy.graph_accepted(context.world)


@then("the listener never received a key of the workers")
def step_listener_no_key(context):
    provider_policy.listener_never_got_workers_key(context.key_listener)


@then("the listener received no requests")
def step_listener_nothing(context):
    provider_policy.listener_received_nothing(context.key_listener)


@given("a crew stored before the policy narrowed, sending the worker's key to that listener")
def step_stored_leak(context):
    provider_policy.stored_sending_workers_key_to(context.world, context.key_listener)


@given(
    "a crew stored before the policy narrowed, sending the workers' standard key "
    "to the model provider"
)
def step_stored_standard_key(context):
    provider_policy.stored_sending_standard_key_to_provider(context.world)


@then("the model provider never received a key of the workers")
def step_provider_no_key(context):
    provider_policy.provider_never_got_workers_key(context.world)


@given("the crew's models name no key")
def step_no_key(context):
    provider_policy.crew_names_no_key(context.world)


@then("every request to the model provider carried the placeholder key, none of the workers' keys")
def step_only_placeholder(context):
    provider_policy.only_placeholder_sent(context.world)
