Feature: Operators follow an execution through the service's logs
  As an operator of the service
  I want every log line to carry its time and, in JSON, the execution it is about: its id,
  its attempt, its graph and its worker, named the same by the API and the workers
  So that one search finds everything the service said about an execution

  Background:
    Given the service writes its logs as JSON lines

  Scenario: A worker's line about a failed attempt names the execution, attempt, graph and worker
    Given a graph whose crew fails with rejected credentials (HTTP 401), without retries
    When I queue an execution of the graph
    Then the workers' logs say "attempt 1 failed" about it, naming its graph, attempt 1 and its worker

  Scenario: The API's line about a cancel names the execution and its graph
    Given every worker is busy with a long execution
    And an execution waiting in the queue
    When I cancel it
    Then the API's logs say "cancelled" about it, naming its graph
