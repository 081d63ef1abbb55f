"""Steps about graphs."""

from behave import given, then, when

from support import graphs, validation


@given("a graph with {count:d} tasks")
@given("a graph with {count:d} task")
def step_graph(context, count):
    graphs.define(context.world, tasks=count)


@given("a graph with {count:d} tasks of {steps:d} steps taking {ms:d} ms each")
@given("a graph with {count:d} task of {steps:d} steps taking {ms:d} ms each")
def step_graph_timed(context, count, steps, ms):
    graphs.define(context.world, tasks=count, steps=steps, step_ms=ms)


@given("a graph whose tasks work on the topic given at queueing")
def step_topical_graph(context):
    graphs.define_topical(context.world)


@given("the graph has been deleted")
@when("the graph is deleted")
def step_delete_graph(context):
    graphs.delete(context.world)


@given("a graph id that was never defined")
def step_missing_graph(context):
    graphs.never_defined(context.world)


@when("I look up that graph")
def step_look_up_missing(context):
    graphs.look_up_missing(context.world)


@then('it is refused as not found with the code "{code}"')
def step_refused_not_found(context, code):
    validation.refused_with(context.world, 404, code)


@then("the refusal names the graph id")
def step_refusal_names_graph(context):
    graphs.refusal_names_graph(context.world)
