Feature: Operators scrape the service's metrics with Prometheus
  As an operator of the service
  I want GET /metrics in Prometheus' format: executions, the queue, the workers, the
  circuit breakers and the HTTP requests, counted the same whichever process answers
  So that my dashboards and alerts show how the service is doing without polling its API

  Scenario: Ended executions are counted by status and error code, with their times
    Given a graph with 1 task
    And 3 executions of the graph that have completed
    And a graph whose crew fails with rejected credentials (HTTP 401), without retries
    And 2 executions of the graph that have failed
    Then the metrics count 3 executions completed and 2 failed with the code "PROVIDER_AUTH_FAILED"
    And the metrics' run times count 3 completed and 2 failed executions
    And the metrics' queue waits count 5 executions of normal priority
    And the metrics count the same once the ended executions are folded into their totals

  Scenario: Retries are counted: the attempts started after an execution's first
    Given a graph that is rate-limited on its first 2 attempts, with up to 3 attempts
    And an execution of the graph that has completed
    Then the metrics count 2 retries

  Scenario: Model tokens and calls are counted from the executions' usage
    Given a crew of 2 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens
    When I queue an execution of the graph
    Then the execution completes within 15 seconds
    And the metrics count 600 prompt and 120 completion tokens in 6 model calls
    And the metrics count the same once the ended executions are folded into their totals

  Scenario: The queue and the workers, as they are now
    Given every worker is busy with a long execution
    And executions waiting in the queue with the priorities low, normal, normal and high
    Then the metrics show 1 low, 2 normal, 1 high and 0 critical queued
    And the metrics show every worker slot running, on each worker
    And the metrics show how long the oldest execution has waited

  Scenario: An open circuit breaker shows as open
    Given the provider's circuit has been opened by failures
    Then the metrics show a circuit breaker open

  Scenario: Requests are counted by route and status
    When I look up an execution that does not exist 3 times
    Then the metrics count 3 more "GET /api/v1/executions/{execution_id}" requests answered 404

  Scenario: Queueing requests are counted by the route's template, not their path
    When I queue 2 executions of a graph and they complete
    Then the metrics count 2 more "POST /api/v1/graphs/{graph_id}/executions" requests answered 202

  Scenario Outline: Only an operator's key may read the metrics
    When the metrics are read with <who>
    Then it is refused with HTTP <status> and the code "<code>"

    Examples:
      | who            | status | code            |
      | no key         | 401    | UNAUTHENTICATED |
      | an owner's key | 403    | FORBIDDEN       |
