@performance
Feature: Many users queue executions at the same time
  As the operator of the service
  I want a crowd of users queueing at once to be served quickly, each getting an execution
  So that a busy morning never turns anyone away or mixes anyone up

  Scenario: 8 users queue 400 executions at the same moment
    Given a graph whose crew does no work
    When 8 users queue 400 executions of it at the same time
    Then all 400 are accepted as queued, each with an id of its own
    And the service accepts at least 40 executions per second
    And queueing answers within 500 ms at the 95th percentile
    And all 400 complete within 60 seconds
