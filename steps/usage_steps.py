"""Steps about usage (tokens, model calls, estimated cost) and budgets."""

from behave import given, then, when

from support import usage

CREW = (
    "a crew of {tasks:d} tasks of {calls:d} model calls each, every call using "
    "{prompt:d} prompt and {completion:d} completion tokens"
)


@given(CREW)
def step_crew(context, tasks, calls, prompt, completion):
    usage.given_crew(context.world, tasks, calls, prompt, completion)


@given(CREW + ", {details}")
def step_crew_with(context, tasks, calls, prompt, completion, details):
    usage.given_crew(context.world, tasks, calls, prompt, completion, details)


@when("I queue an execution of the graph with a budget of {budget}")
def step_queue_with_budget(context, budget):
    usage.queue_with_budget(context.world, budget)


@then(
    "its usage is {prompt:d} prompt, {completion:d} completion and {total:d} total tokens "
    "in {calls:d} model calls"
)
def step_usage_is(context, prompt, completion, total, calls):
    usage.usage_is(context.world, prompt, completion, total, calls)


@then("each task and each agent used {total:d} tokens in {calls:d} model calls")
def step_per_task(context, total, calls):
    usage.usage_per_task_and_agent(context.world, total, calls)


@then("its estimated cost is {amount:g} {currency}")
def step_cost(context, amount, currency):
    usage.estimated_cost(context.world, amount, currency)


@then("its usage has no estimated cost")
def step_no_cost(context):
    usage.no_estimated_cost(context.world)


@then("the history of its attempts shows {calls} model calls of {tokens:d} tokens")
def step_attempts_used(context, calls, tokens):
    usage.attempts_used(context.world, [int(n) for n in calls.split(",")], tokens)


@then("the listing shows its usage as a total of {total:d} tokens")
def step_listed(context, total):
    usage.listed_total(context.world, total)


@then("the queue statistics show at least {total:d} tokens used in the last minute")
def step_stats(context, total):
    usage.tokens_last_minute(context.world, total)


@then("the outputs of its first {count:d} tasks are kept")
def step_outputs(context, count):
    usage.outputs_kept(context.world, count)


@then("the execution shows its budget as {budget}")
def step_shows_budget(context, budget):
    usage.shows_budget(context.world, budget)


@when("I queue an execution of a crew on the {model} model with the budget {budget}")
def step_queue_bad(context, model, budget):
    usage.queue_with_bad_budget(context.world, budget, model)


@when("I create a crew on the {model} model with the budget {budget}")
def step_create_bad(context, model, budget):
    usage.create_graph_with_bad_budget(context.world, budget, model)


@given("the crew's budget is {budget}")
def step_crew_budget(context, budget):
    usage.crew_budget(context.world, budget)


@then(
    "its usage counts every request the model provider answered, at {prompt:d} prompt and "
    "{completion:d} completion tokens each"
)
def step_counts_every_request(context, prompt, completion):
    usage.counts_every_request(context.world, context.world.model_provider, prompt, completion)


@then(
    'its usage is under the model the crew names, "{model}", with an estimated cost in {currency}'
)
def step_under_model(context, model, currency):
    usage.under_model(context.world, model, currency)
