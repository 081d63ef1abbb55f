@use.with_stack=services  # the embedded stack runs the API in the test process: there is one only
Feature: A graph's limit holds however many API processes share the queue
  As the operator of the service
  I want to run the API as several processes when the traffic grows
  So that a graph's limit of executions queued or running at once still holds exactly

  Scenario: Many clients queueing at once through several API processes never go past a graph's limit
    Given the API runs as 4 processes
    And 3 graphs that each allow 20 executions queued or running at once
    And every worker is busy with a long execution
    When for each graph in turn, 48 clients queue an execution of it at the same moment
    Then for every graph 20 are accepted and 28 are refused with the code "QUEUE_LIMIT_REACHED"
    And every graph has 20 executions queued or running
