@performance
Feature: Execution times are reported accurately
  As a user who bills, plans and debugs by the times the service reports
  I want the start and finish times and durations to match what the crew really did
  So that the figures I read are the ones that happened

  Scenario: 24 executions of a 400 ms crew report 400 ms
    Given a graph whose crew takes 4 steps of 100 ms
    When 24 executions of it run, as many at a time as there are worker slots
    Then each reported duration, from start to finish, is at least 400 ms and at most 1000 ms
    And the reported durations are within 700 ms at the 95th percentile
    And each execution starts within 500 ms of being queued at the 95th percentile
    And each creation time falls between asking to queue and the answer, within 50 ms
    And each history records the same start and finish times as its execution, within 50 ms
