@reliability
Feature: Sending a queue request again never queues a second execution
  As the owner of a crew whose client may send a request again (a timeout, a lost answer)
  I want to name each queue request with an Idempotency-Key
  So that sending it again gives me the execution it made, never a second run of my crew

  Background:
    Given a graph with 1 task

  Scenario: The same request with the same key makes one execution
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    And I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    Then the second answer is 200 with the first one's execution, as it is now
    And the graph has exactly 1 execution

  Scenario: Sent again after its execution completed, the request answers the completed execution
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    Then the execution completes within 10 seconds
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    Then the answer is the first one's execution, completed, with its result
    And the graph has exactly 1 execution

  Scenario: Another body with the same key is refused and queues nothing
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    And I queue an execution of the graph with the idempotency key "order-1" about "glaciers"
    Then it is refused as a reused idempotency key, naming the header and the first execution
    And the graph has exactly 1 execution

  Scenario: Two owners using the same key each get their own execution
    Given another owner, "acme", with an API key of its own
    And acme has defined a graph
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    And acme queues an execution of its graph with the idempotency key "order-1"
    Then acme and I each have an execution of our own

  Scenario: Eight clients sending one request at the same moment make one execution
    When 8 clients queue an execution of the graph about "octopuses" with the idempotency key "burst-1" at the same moment
    Then one is accepted and the other 7 answer 200 with the same execution
    And the graph has exactly 1 execution

  Scenario: A key past its keeping time may name a new request
    When I queue an execution of the graph with the idempotency key "order-1" about "octopuses"
    And the request with the idempotency key "order-1" was made longer ago than the keeping time
    And I queue an execution of the graph with the idempotency key "order-1" about "glaciers"
    Then it is accepted as a new execution
    And the graph has exactly 2 executions

  Scenario Outline: A key that is <what> is refused naming the header, and nothing is queued
    When I queue an execution of the graph with <a bad key>
    Then it is refused as not valid, naming the Idempotency-Key header

    Examples:
      | what                | a bad key                                                |
      | empty               | an empty idempotency key                                 |
      | 256 characters long | an idempotency key of 256 characters                     |
      | two words           | the idempotency key "order 1" about "octopuses"          |
      | not ASCII           | the idempotency key "commande-numéro" about "octopuses" |
