@performance
Feature: Many cancellations at once are quick and really stop the work
  As a user who cancels a whole batch of executions
  I want every cancel answered at once, the waiting ones never to run, the running ones to stop
  So that a batch I no longer need costs nothing more and frees the workers

  Scenario: 4 users cancel 200 waiting and every running execution at once
    Given a graph whose crew takes 100 steps of 100 ms
    And an execution of it running in every worker slot, and 200 more waiting in the queue
    When 4 users cancel all of them at the same time, the waiting ones first
    Then every cancel is answered "cancelled"
    And cancelling answers within 500 ms at the 95th percentile
    And every running crew stops within 1 second of its cancel
    And none of the waiting executions ever started
    And a new execution then completes within 3 seconds
