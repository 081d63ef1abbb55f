"""Steps of the chaos run: a burst queued through faults, then what must hold."""

from behave import then, when

from support import chaos


@when("{count:d} executions of crews taking 0.2 to 2 seconds are queued through these faults")
def step_chaos_burst(context, count):
    chaos.run(context.world, count, [row.as_dict() for row in context.table])


@then("within {seconds:d} seconds every execution has ended")
def step_all_ended(context, seconds):
    chaos.all_ended_within(context.world, seconds)


@then("each ended exactly once: one final status, no attempts overlapping, none completed twice")
def step_each_once(context):
    chaos.each_ended_once(context.world)


@then("the run's counts are reported")
def step_report(context):
    chaos.report(context.world)
