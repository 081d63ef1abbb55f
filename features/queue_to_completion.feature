Feature: Queue an execution and run it to completion
  As the owner of a crew
  I want to queue an execution of my graph and have a worker run it
  So that I get my crew's result without holding a connection open

  @smoke
  Scenario: A queued execution runs to completion with its result
    Given a graph with 3 tasks
    When I queue an execution of the graph
    Then the execution is accepted as queued
    And the execution completes within 10 seconds
    And its result is the output of its last task
    And the output of every task is kept

  Scenario: Progress rises steadily to 100%
    Given a graph with 3 tasks of 4 steps taking 50 ms each
    When I queue an execution of the graph
    And I watch its progress until it finishes
    Then the progress I saw never went down
    And I saw progress between 0% and 100% while it ran
    And the progress ended at 100%

  @smoke
  Scenario: The history shows queued, running and completed in order
    Given a graph with 2 tasks
    When I queue an execution of the graph
    Then the execution completes within 10 seconds
    And its history is queued, running, completed
    And the times in its history are in order
    And it started and finished between queueing and now

  Scenario: The inputs of an execution reach the crew
    Given a graph whose tasks work on the topic given at queueing
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 10 seconds
    And its result mentions "octopuses"

  Scenario: Several executions of one graph run independently
    Given a graph whose tasks work on the topic given at queueing
    When I queue 5 executions of the graph, each about a different topic
    Then all of them complete within 20 seconds
    And each result mentions its own topic
    And each execution has a history of its own

  Scenario: A finished execution is never run again
    Given a graph with 2 tasks
    And an execution of the graph that has completed
    When its message reaches a worker a second time
    Then the execution stays completed with the same result
    And its history still shows a single run
