@performance
Feature: Short executions come back quickly, one after another
  As a user who runs a quick crew, waits for it, and runs the next
  I want each round trip from queueing to the result to be short and steady
  So that a chain of quick crews is not slowed down by the service

  Scenario: 4 users each queue an execution and wait for it, 50 times in a row
    Given a graph whose crew does no work
    When 4 users each queue an execution and wait for it to complete, 50 times in a row
    Then all 200 cycles completed
    And a cycle from queueing to completed takes under 1000 ms at the 95th percentile
    And no cycle takes longer than 5 seconds
