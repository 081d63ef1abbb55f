Feature: A crew that works slowly is never taken for lost
  As a user whose crews make model calls that take a long time
  I want a crew that is still working to keep its attempt, however long one of its steps takes
  So that slow work is never thrown away and run again

  Scenario: A crew whose single step outlasts the heartbeat timeout completes on its first attempt
    Given a graph whose single step lasts longer than a worker may stay silent
    When I queue an execution of the graph
    Then the execution completes within 30 seconds
    And it took 1 attempt
    And its history is queued, running, completed
