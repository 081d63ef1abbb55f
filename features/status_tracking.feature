Feature: Tracking executions
  As a user waiting for a crew
  I want to see where each execution stands, and find executions again later
  So that I know what is happening without asking anyone

  Scenario: Status and progress are visible while an execution runs
    Given a graph with 2 tasks of 10 steps taking 100 ms each
    When I queue an execution of the graph
    Then the execution is running within 5 seconds
    And while it runs its progress names the task in progress
    And its history so far is queued, running

  @smoke
  Scenario: A queued execution that is cancelled never starts
    Given every worker is busy with a long execution
    And an execution waiting in the queue
    When I cancel the waiting execution
    Then it is cancelled at once
    And after the workers are free it has still never started

  Scenario: Listing executions by status
    Given a graph with 1 task
    And 3 executions of the graph that have completed
    And 2 executions of the graph that were cancelled while waiting
    When I list the executions with the status "completed"
    Then I see exactly the 3 completed executions

  Scenario: Listing the executions of one graph
    Given a graph named "alpha" with 2 executions that have completed
    And a graph named "beta" with 3 executions that have completed
    When I list the executions of the graph "beta"
    Then I see exactly the 3 executions of the graph "beta"

  Scenario Outline: Paging through executions <size> at a time shows each one exactly once
    Given a graph with 1 task
    And 7 executions of the graph that have completed
    When I page through all executions <size> at a time
    Then I get <pages>
    And every execution appears exactly once, newest first

    Examples:
      | size | pages   |
      | 1    | 7 pages |
      | 3    | 3 pages |
      | 7    | 1 page  |
      | 50   | 1 page  |

  Scenario: Executions queued while I page through do not disturb the pages
    Given a graph with 1 task
    And 7 executions of the graph that have completed
    When I page through all executions 3 at a time, while 2 more are queued after the first page
    Then I get 3 pages
    And every execution queued before I began appears exactly once, newest first

  Scenario: The queue statistics count what is queued and running
    Given every worker is busy with a long execution
    And 3 more executions waiting in the queue
    Then the queue statistics show every worker slot running and 3 queued
    And the queue statistics show how long the oldest execution has waited
