Feature: Operators see the queue at a glance, and a graph cannot flood it
  As an operator of the service
  I want queue statistics that match what is really queued and running, and a limit per graph
  So that I can tell how loaded the service is, and one runaway client cannot starve the rest

  Scenario: The statistics match what is really queued and running
    Given every worker is busy with a long execution
    And 2 low-priority, 3 normal-priority and 1 critical execution waiting in the queue
    Then the queue statistics show every worker slot running
    And the queue statistics show 2 low, 3 normal, 0 high and 1 critical queued
    And the queue statistics agree with the list of executions

  Scenario: The statistics show the workers online
    Then the queue statistics show every worker online with its slots

  Scenario: The statistics count what finished in the last minute
    Given a graph with 1 task
    And 3 executions of the graph that have completed
    And a graph whose crew fails with rejected credentials (HTTP 401), without retries
    And 2 executions of the graph that have failed
    Then the queue statistics show 3 completed and 2 failed in the last minute

  Scenario: The oldest waiting execution's wait grows while it waits
    Given every worker is busy with a long execution
    And an execution waiting in the queue
    Then the queue statistics show the oldest wait growing

  Scenario: Only waiting executions count as queued, and only started ones as running
    Given an execution that has completed, one that has failed and one waiting for its next attempt
    And every worker is busy with a long execution
    And executions waiting in the queue with the priorities low, normal and high
    And executions cancelled while waiting, with the priorities normal and critical
    Then the queue statistics show 1 low, 1 normal, 1 high and 0 critical queued
    And the queue statistics show every worker slot running and 1 retrying
    And the queue statistics show 1 completed, 1 failed and 2 cancelled executions
    And the queue statistics agree with the list of executions

  Scenario: The oldest wait is that of the execution waiting longest
    Given every worker is busy with a long execution
    And an execution that was cancelled while it waited
    And a second later, 2 executions waiting in the queue, queued a second apart
    Then the queue statistics show the wait of the execution waiting longest as the oldest wait

  Scenario: Queueing beyond a graph's limit is refused and creates nothing
    Given a graph that allows 3 executions queued or running at once
    And every worker is busy with a long execution
    And 3 executions of the graph waiting in the queue
    When I queue another execution of the graph
    Then it is refused with HTTP 429 and the code "QUEUE_LIMIT_REACHED"
    And the refusal says when to try again
    And nothing was written

  Scenario: Many clients queueing at once never go past a graph's limit
    Given a graph that allows 5 executions queued or running at once
    And every worker is busy with a long execution
    When 24 clients queue an execution of the graph at the same moment
    Then 5 are accepted and 19 are refused with the code "QUEUE_LIMIT_REACHED"
    And the graph has 5 executions queued or running

  Scenario: Once the graph's executions finish, queueing is accepted again
    Given a graph that allows 3 executions queued or running at once
    And 3 executions of the graph that have completed
    When I queue another execution of the graph
    Then the execution is accepted as queued
