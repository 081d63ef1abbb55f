"""Steps about credentials quoted in errors."""

from behave import then

from support import credentials


@then('the bearer token "{token}" leaves no trace in what the service answers or stores')
@then('the basic credentials "{token}" leave no trace in what the service answers or stores')
def step_no_trace(context, token):
    credentials.no_trace_of(context.world, token)


@then('its history still quotes the failure: "{first}" and "{second}"')
def step_history_quotes(context, first, second):
    credentials.history_quotes_failure_without(context.world, first, second)
