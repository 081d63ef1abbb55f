"""Steps about listing executions."""

from behave import given, then, when

from support import listing


@given("{count:d} executions of the graph that were cancelled while waiting")
def step_cancelled(context, count):
    listing.cancelled_while_waiting(context.world, count)


@given('a graph named "{name}" with {count:d} executions that have completed')
def step_named_graph(context, name, count):
    listing.named_graph_with_completed(context.world, name, count)


@when('I list the executions with the status "{status}"')
def step_list_status(context, status):
    listing.list_by_status(context.world, status)


@when('I list the executions of the graph "{name}"')
def step_list_graph(context, name):
    listing.list_by_graph(context.world, name)


@then("I see exactly the {count:d} completed executions")
def step_see_completed(context, count):
    listing.see_exactly_with_status(context.world, count, "completed")


@then('I see exactly the {count:d} executions of the graph "{name}"')
def step_see_graph(context, count, name):
    listing.see_exactly_of_graph(context.world, count, name)


@when("I page through all executions {size:d} at a time")
def step_page(context, size):
    listing.page_through(context.world, size)


@when(
    "I page through all executions {size:d} at a time, while {count:d} more are queued "
    "after the first page"
)
def step_page_while_queueing(context, size, count):
    listing.page_through(context.world, size, queued_meanwhile=count)


@then("I get {count:d} pages")
@then("I get {count:d} page")
def step_pages(context, count):
    listing.page_count(context.world, count)


@then("every execution appears exactly once, newest first")
@then("every execution queued before I began appears exactly once, newest first")
def step_once(context):
    listing.each_once_newest_first(context.world)
