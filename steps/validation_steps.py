"""Steps about bad requests and the refusals they get."""

from behave import then, when

from support import validation


@when("I send {request}")
def step_send(context, request):
    validation.send(context.world, request)


@then('it is refused with HTTP {status:d} and the code "{code}"')
def step_refused(context, status, code):
    validation.refused_with(context.world, status, code)


@then('the message names "{text}"')
def step_names(context, text):
    validation.message_names(context.world, text)
