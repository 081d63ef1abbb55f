"""Steps about the API running as several processes."""

from behave import given

from support.stacks import api_processes


@given("the API runs as {count:d} processes")
def step_api_processes(context, count):
    api_processes.serve_with_api_processes(context, count)
