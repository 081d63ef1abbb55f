"""Steps about the service's limits (features/request_limits.feature); the requests
themselves are sent by the validation steps (``When I send ...``)."""

from behave import then

from support import limits


@then('the answer allows exactly "{methods}"')
def step_allows_exactly(context, methods):
    limits.allows_exactly(context.world, methods)
