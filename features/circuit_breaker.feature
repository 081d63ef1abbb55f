Feature: A circuit breaker stops the service hammering a provider that is down
  As the operator of crews that share a model provider
  I want calls to a failing provider paused for a while, then tried again carefully
  So that an outage costs seconds of fast failures instead of minutes of hopeless calls

  Background:
    Given the service pauses calls to a provider after 3 provider failures in a row, for 1.5 seconds

  @smoke
  Scenario: Repeated provider failures open the circuit
    Given a graph whose provider is down
    When 3 executions of the graph have failed one after another
    Then the provider's circuit is open
    And the queue statistics show the provider's circuit open

  Scenario: While the circuit is open executions fail fast without calling the provider
    Given the provider's circuit has been opened by failures
    And a healthy graph on the same provider
    When I queue an execution of the healthy graph
    Then the execution fails within 2 seconds
    And its error is "CIRCUIT_OPEN" in the category "circuit_open"
    And the crew never ran

  Scenario: After the cool-down exactly one trial execution is let through
    Given the provider's circuit has been opened by failures
    And a healthy graph on the same provider whose crew takes a second
    When the cool-down has passed
    And I queue 3 executions of the healthy graph at once
    Then the provider's circuit is half-open while the trial runs
    And exactly 1 of them completes and the others fail with "CIRCUIT_OPEN"

  Scenario: A successful trial closes the circuit
    Given the provider's circuit has been opened by failures
    And a healthy graph on the same provider
    When the cool-down has passed
    And I queue an execution of the healthy graph
    Then the execution completes within 10 seconds
    And the provider's circuit is closed with no failures counted

  Scenario: A failed trial opens the circuit again
    Given the provider's circuit has been opened by failures
    When the cool-down has passed
    And I queue an execution of the graph whose provider is down
    Then the execution fails within 10 seconds
    And its error is "PROVIDER_UNAVAILABLE" in the category "transient"
    And the provider's circuit is open for another cool-down

  Scenario: Failures that are not the provider's do not open the circuit
    Given a graph whose provider rejects the credentials
    When 4 executions of the graph have failed one after another
    Then the provider's circuit is closed

  Scenario: A success in between resets the count of failures
    Given a graph whose provider is down
    And a healthy graph on the same provider
    When 2 executions of the graph have failed one after another
    And an execution of the healthy graph has completed
    And 2 executions of the graph have failed one after another
    Then the provider's circuit is closed

  Scenario: An execution that meets an open circuit waits for the cool-down when it may retry
    Given the provider's circuit has been opened by failures
    And a healthy graph on the same provider that may be tried 3 times
    When I queue an execution of the healthy graph
    Then the execution completes within 10 seconds
    And it took 2 attempts
    And its first attempt failed with "CIRCUIT_OPEN" and waited out the cool-down

  # Two worker processes need the services stack: the embedded stack has one worker.
  @use.with_stack=services
  Scenario: Failures on different worker processes add up in one shared circuit
    Given a graph whose provider is down after a moment of work
    When 3 executions of the graph fail at the same time
    Then they failed on both worker processes, no more than 2 on either
    And the provider's circuit is open
    And an execution of a healthy graph on the same provider then fails fast with "CIRCUIT_OPEN"
