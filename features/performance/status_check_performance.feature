@performance
Feature: Checking on an execution is fast
  As a user watching my executions
  I want a status check to answer at once, however many executions the service holds
  So that I can poll as often as I like and my dashboard never lags

  Scenario: 4 users check statuses 1,000 times while every worker is busy
    Given 300 executions that have completed and an execution running in every worker slot
    When 4 users check the status of those executions 1000 times between them
    Then every check answers with the execution asked for
    And the service answers at least 50 status checks per second
    And status checks answer within 100 ms at the 95th percentile
    And status checks answer within 250 ms at the 99th percentile
