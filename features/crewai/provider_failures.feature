@crewai @fixture.fake_model_provider
Feature: Model provider failures under a real crew are retried by the service's policy alone
  As the operator of crews that share a model provider
  I want provider failures classified, retried only as the retry policy says, and cut off by the circuit breaker
  So that one failure never turns into a hidden burst of retries against a struggling provider

  Background:
    Given a research crew of two agents and two tasks

  @smoke
  Scenario: A rate limit is retried once, after the provider's Retry-After, and nothing else retries it
    Given the model provider rate-limits the first request, asking to retry after 1.5 seconds
    And the crew may be tried 3 times
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And it took 2 attempts
    And its first attempt failed with "PROVIDER_RATE_LIMITED"
    And the wait before its second attempt was at least 1.5 seconds
    And the model provider received 3 requests

  Scenario: A storm of server errors opens the circuit, one request per execution
    Given the model provider fails every request with HTTP 500
    When 3 executions of the crew have failed one after another
    Then its error is "PROVIDER_UNAVAILABLE" in the category "transient"
    And the model provider's circuit is open
    And the model provider received 3 requests
    And a further execution fails at once with "CIRCUIT_OPEN" without calling the model provider

  Scenario: A model call that takes too long is given up and the execution tried again
    Given the model provider never answers the first request
    And the agents give the model 1 second to answer
    And the crew may be tried 2 times
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And it took 2 attempts
    And its first attempt failed with "PROVIDER_TIMEOUT"
    And the model provider received 3 requests

  Scenario: A provider that cannot be reached is a network error worth retrying
    Given the model provider refuses connections
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "NETWORK_ERROR" in the category "transient"
    And its error names the task "research"

  Scenario Outline: A provider answering <failure> fails the crew as <code>
    Given the model provider answers every request with <failure>
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "<code>" in the category "<category>"
    And its error is marked <retryable>
    And its error message is written for people, not machines
    And the model provider received <requests> request

    Examples:
      | failure                          | code                       | category  | retryable     | requests |
      | HTTP 429 and no Retry-After      | PROVIDER_RATE_LIMITED      | transient | retryable     | 1        |
      | an exhausted quota (HTTP 429)    | PROVIDER_QUOTA_EXCEEDED    | permanent | not retryable | 1        |
      | HTTP 500                         | PROVIDER_UNAVAILABLE       | transient | retryable     | 1        |
      | HTTP 503                         | PROVIDER_UNAVAILABLE       | transient | retryable     | 1        |
      | HTTP 403 for the model           | PROVIDER_PERMISSION_DENIED | permanent | not retryable | 1        |
      | HTTP 400 for the request         | PROVIDER_BAD_REQUEST       | permanent | not retryable | 1        |

  Scenario: A prompt over the model's context length is a permanent failure
    Given the model provider answers every request with a prompt over the context length
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "CONTEXT_LENGTH_EXCEEDED" in the category "permanent"
    And it took 1 attempt

  Scenario: A failing tool fails the crew when the crew says so, and is not retried
    Given the researcher may use the calculator
    And a failing tool stops the crew
    And the crew may be tried 3 times
    And the model provider has the researcher work out "1 / 0" with the calculator
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "TOOL_ERROR" in the category "permanent"
    And its error names the task "research"
    And it took 1 attempt
