"""Steps about whether a crew started at all, seen from what the crew itself does."""

from behave import given, then

from support import crew_starts


@given("a graph whose crew records each time it starts")
def step_recording_graph(context):
    crew_starts.recording_graph(context.world)


@then("its crew never started, though a later execution of the graph did")
def step_scripted_never_started(context):
    crew_starts.scripted_crew_never_started(context.world)
