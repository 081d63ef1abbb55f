"""Steps about webhooks: receivers, signed deliveries, retries, the listing, the policy."""

from behave import given, then, when

from support import webhooks


@given('a webhook receiver "{name}" that answers {answers}')
def step_receiver(context, name, answers):
    webhooks.receiver(context.world, name, answers, context.add_cleanup)


@given('a webhook receiver "{name}" that never answers')
def step_silent_receiver(context, name):
    webhooks.receiver(context.world, name, "never", context.add_cleanup)


@when('I queue an execution with a webhook for "{events}" at "{name}"')
@given('I queued an execution with a webhook for "{events}" at "{name}"')
def step_queue_with_webhook(context, events, name):
    webhooks.queue_with_webhook(context.world, name, events)


@when('I queue an execution with webhooks for "{events}" at "{first}" and "{second}"')
def step_queue_with_webhooks(context, events, first, second):
    webhooks.queue_with_webhooks(context.world, [first, second], events)


@when('I queue a slow execution of a graph whose webhook for "{events}" is at "{name}"')
def step_queue_graph_default(context, events, name):
    webhooks.queue_with_graph_default(context.world, name, events)


@when('I queue an execution with a webhook at "{url}"')
def step_queue_at(context, url):
    webhooks.queue_with_webhook_at(context.world, url)


@when('I define a graph with a webhook at "{url}"')
def step_define_at(context, url):
    webhooks.define_graph_with_webhook_at(context.world, url)


@then('"{name}" gets "{event}" for that execution within {seconds:d} seconds')
@given('"{name}" gets "{event}" for that execution within {seconds:d} seconds')
def step_gets_event(context, name, event, seconds):
    webhooks.gets_event(context.world, name, event, seconds)


@then('"{name}" got "task.completed" once for each of the {count:d} tasks, with its output')
def step_task_events(context, name, count):
    webhooks.got_each_task_once(context.world, name, count)


@then('every delivery to "{name}" is signed with my webhook secret')
def step_signed(context, name):
    webhooks.signature_verifies(context.world, name)


@then('"{name}" got the delivery {times:d} times, each with the same webhook-id')
def step_same_id(context, name, times):
    webhooks.delivered_times_same_id(context.world, name, times)


@then("the execution's deliveries show the tries {codes} and the delivery done")
def step_listing(context, codes):
    webhooks.listing_shows_attempts(context.world, [int(c) for c in codes.split(", ")])


@then("the execution completes within {seconds:d} seconds of being queued")
def step_completes_within(context, seconds):
    webhooks.completes_within(context.world, seconds)


@then('"{name}" gets "{event}" within {seconds:g} seconds of the execution\'s end')
def step_within_of_end(context, name, event, seconds):
    webhooks.gets_event_within_of_end(context.world, name, event, seconds)


@then('its end was recorded before "{name}" was called')
def step_end_before_call(context, name):
    webhooks.ended_before_called(context.world, name)


@when("I ask for its delivery to be sent again")
def step_resend(context):
    webhooks.resend_first(context.world)


@when("{owner:Owner} lists that execution's webhook deliveries")
def step_other_lists(context, owner):
    webhooks.another_owner_lists(context.world, owner)


@when("{owner:Owner} asks for its delivery to be sent again")
def step_other_resends(context, owner):
    webhooks.another_owner_resends(context.world, owner)
