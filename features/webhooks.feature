@webhooks
Feature: Signed webhooks tell a product when its executions end
  As the developer of a product built on the service
  I want the end of each execution pushed to an endpoint of mine, signed, retried and listed
  So that I need not poll, can trust what arrives, and can see and replay what was sent

  Webhooks follow the Standard Webhooks convention: each delivery carries webhook-id,
  webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with my secret). A receiver
  that fails or does not answer gets the delivery again, with the same webhook-id, after
  a growing wait. The operator decides which addresses deliveries may go to: the suite's
  receivers run on 127.0.0.1, which its stacks allow; every other private address is
  refused.

  Scenario: My receiver gets the completion, signed with my secret
    Given a webhook receiver "mine" that answers 200
    When I queue an execution with a webhook for "execution.completed" at "mine"
    Then "mine" gets "execution.completed" for that execution within 10 seconds
    And every delivery to "mine" is signed with my webhook secret

  Scenario: A receiver that asks for task outputs gets each one once, as the crew goes
    Given a webhook receiver "tasks" that answers 200
    When I queue an execution with a webhook for "task.completed, execution.completed" at "tasks"
    Then "tasks" gets "execution.completed" for that execution within 10 seconds
    And "tasks" got "task.completed" once for each of the 2 tasks, with its output

  Scenario: A receiver that fails twice gets the delivery a third time, with the same webhook-id
    Given a webhook receiver "flaky" that answers 500 twice, then 200
    When I queue an execution with a webhook for "execution.completed" at "flaky"
    Then "flaky" got the delivery 3 times, each with the same webhook-id
    And the execution's deliveries show the tries 500, 500, 200 and the delivery done

  Scenario: A receiver that never answers delays neither the execution nor another receiver
    Given a webhook receiver "silent" that never answers
    And a webhook receiver "prompt" that answers 200
    When I queue an execution with webhooks for "execution.completed" at "silent" and "prompt"
    Then the execution completes within 3 seconds of being queued
    And its end was recorded before "silent" was called
    And "prompt" gets "execution.completed" within 0.5 seconds of the execution's end

  Scenario: A graph's webhooks apply to its executions, and a cancel is delivered too
    Given a webhook receiver "defaults" that answers 200
    When I queue a slow execution of a graph whose webhook for "execution.cancelled" is at "defaults"
    And I cancel it
    Then "defaults" gets "execution.cancelled" for that execution within 10 seconds

  Scenario: A delivery is sent again on request, with the same webhook-id
    Given a webhook receiver "mine" that answers 200
    And I queued an execution with a webhook for "execution.completed" at "mine"
    And "mine" gets "execution.completed" for that execution within 10 seconds
    When I ask for its delivery to be sent again
    Then "mine" got the delivery 2 times, each with the same webhook-id

  Scenario: A webhook at a private address is refused where I queue it
    When I queue an execution with a webhook at "http://10.0.0.1/hooks"
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "webhooks.0.url"
    And nothing was written

  Scenario: A graph whose webhook is a loopback name the operator did not allow is refused
    When I define a graph with a webhook at "http://localhost:8080/hooks"
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "settings.webhooks.0.url"
    And nothing was written

  Scenario: Another owner cannot see or re-send my deliveries
    Given a webhook receiver "mine" that answers 200
    And another owner, "acme", with an API key of its own
    And I queued an execution with a webhook for "execution.completed" at "mine"
    And "mine" gets "execution.completed" for that execution within 10 seconds
    When acme lists that execution's webhook deliveries
    Then it is refused with HTTP 404 and the code "EXECUTION_NOT_FOUND"
    When acme asks for its delivery to be sent again
    Then it is refused with HTTP 404 and the code "NOT_FOUND"
