"""Steps about bad requests."""

from behave import then, when

from support import bad_requests


@when("I send {request}")
def step_send(context, request):
    bad_requests.send(context.world, request)


@then('it is refused with HTTP {status:d} and the code "{code}"')
def step_refused(context, status, code):
    bad_requests.refused_with(context.world, status, code)


@then('the message names "{text}"')
def step_names(context, text):
    bad_requests.message_names(context.world, text)


@then("nothing was written")
def step_nothing_written(context):
    bad_requests.nothing_written(context.world)
