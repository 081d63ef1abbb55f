@performance
Feature: A flood of executions loses nothing and leaves nothing stuck
  As the operator of the service
  I want thousands of executions queued in a rush to all run to the end
  So that I can trust the service on its busiest day

  Scenario: 2,000 executions queued as fast as 8 users can
    Given a graph whose crew does no work
    When 8 users queue 2000 executions of it as fast as they can
    Then all 2000 complete within 150 seconds
    And none is lost: the service holds 2000 executions, each with the history queued, running, completed
    And none is stuck: nothing is left queued or running
    And the service completes at least 20 executions per second
