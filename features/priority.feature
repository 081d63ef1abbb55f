Feature: Urgent executions go first
  As a team sharing workers between interactive users and batch jobs
  I want higher-priority executions to start before lower ones, and equal ones in arrival order
  So that an urgent execution never waits behind a thousand batch ones

  Scenario: A high-priority execution starts before the low-priority ones already waiting
    Given every worker is busy with a long execution
    And 6 low-priority executions waiting in the queue
    And then a high-priority execution waiting in the queue
    When one worker becomes free
    Then the high-priority execution is the next to start

  Scenario: Critical, high, normal and low start in that order
    Given every worker is busy with a long execution
    And a low, a normal, a high and a critical execution waiting in the queue, in that order
    When the workers become free one at a time
    Then they start in the order critical, high, normal, low

  Scenario: Executions of equal priority start in the order they were queued
    Given every worker is busy with a long execution
    And 5 normal-priority executions waiting in the queue
    When the workers become free one at a time
    Then they start in the order they were queued

  Scenario: Raising the priority of a waiting execution moves it ahead
    Given every worker is busy with a long execution
    And 4 low-priority executions waiting in the queue
    When I raise the priority of the last one to high
    And one worker becomes free
    Then the execution I raised is the next to start
    And it runs only once

  Scenario Outline: A waiting execution's priority can be raised from <before> to <after>
    Given every worker is busy with a long execution
    And a <before>-priority execution waiting in the queue
    When I raise its priority to <after>
    Then the answer, the execution, the list and the statistics all show it waiting with <after> priority

    Examples:
      | before | after    |
      | low    | normal   |
      | normal | high     |
      | high   | critical |
      | low    | critical |

  Scenario Outline: A waiting execution's priority cannot be lowered from <before> to <after>
    Given every worker is busy with a long execution
    And a <before>-priority execution waiting in the queue
    When I lower its priority to <after>
    Then it is refused with HTTP 409 and the code "PRIORITY_NOT_RAISED"
    And it is still waiting with <before> priority

    Examples:
      | before   | after  |
      | normal   | low    |
      | high     | normal |
      | critical | high   |
      | high     | low    |

  Scenario: Asking for the priority an execution already has changes nothing
    Given every worker is busy with a long execution
    And a high-priority execution waiting in the queue
    When I ask for its priority to be high
    Then the answer, the execution, the list and the statistics all show it waiting with high priority

  Scenario: Unprioritised executions are normal
    Given a graph with 1 task
    When I queue an execution of the graph
    Then the execution is accepted as queued with normal priority
