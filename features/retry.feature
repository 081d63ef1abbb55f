Feature: Failed attempts are retried when trying again can help
  As a user of crews that depend on flaky providers
  I want passing failures retried with growing, spread-out waits
  So that my executions succeed without hammering the provider, and hopeless ones stop at once

  @smoke
  Scenario: An execution succeeds on its third attempt after two transient failures
    Given a graph that is rate-limited on its first 2 attempts, with up to 3 attempts
    When I queue an execution of the graph
    Then the execution completes within 15 seconds
    And it took 3 attempts
    And its history is queued, running, retrying, running, retrying, running, completed
    And each failed attempt's error is in its history

  Scenario: A permanent failure is not retried
    Given a graph whose provider rejects the credentials on every attempt, with up to 3 attempts
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And it took 1 attempt
    And its history is queued, running, failed

  Scenario: When the attempts run out the execution fails with the last error
    Given a graph whose provider is unavailable on every attempt, with up to 3 attempts
    When I queue an execution of the graph
    Then the execution fails within 15 seconds
    And it took 3 attempts
    And its error is "PROVIDER_UNAVAILABLE" in the category "transient"
    And its error says it came from attempt 3

  Scenario: The waits between attempts grow within the policy's bounds
    Given a graph that fails transiently on its first 2 attempts, retried with a 0.3 s base delay, a 0.5 s cap and 50% jitter
    When I queue an execution of the graph
    Then the execution completes within 20 seconds
    And it took 3 attempts
    And each wait between attempts lies within the policy's bounds

  Scenario: A provider's Retry-After is honoured
    Given a graph that is rate-limited with a Retry-After of 1.5 seconds on its first attempt
    When I queue an execution of the graph
    Then the execution completes within 15 seconds
    And the wait before its second attempt was at least 1.5 seconds

  Scenario: An execution cancelled while waiting for its next attempt is not retried
    Given a graph whose provider is unavailable on every attempt, retried after 2 seconds
    When I queue an execution of the graph
    And it is waiting for its next attempt
    And I cancel it
    Then it is cancelled at once
    And it is not run again, even after its retry was due
