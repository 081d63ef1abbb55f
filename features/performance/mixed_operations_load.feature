@performance
Feature: Queueing, checking, listing and cancelling all at once
  As the operator of the service
  I want every kind of request to stay quick while all kinds arrive together
  So that one busy kind of user never slows down the others

  Scenario: 12 users queue, check, list and cancel at the same time
    Given a graph whose crew takes 2 steps of 100 ms
    When 12 users work at the same time:
      | users | do                   | calls between them |
      | 4     | queue an execution   | 200                |
      | 4     | check a status       | 600                |
      | 2     | list executions      | 100                |
      | 2     | cancel an execution  | 60                 |
    Then no request failed: every answer is a success or a refusal to cancel a finished execution
    And queueing answers within 1000 ms at the 95th percentile
    And status checks answer within 250 ms at the 95th percentile
    And listing answers within 500 ms at the 95th percentile
    And cancelling answers within 1000 ms at the 95th percentile
    And every execution ends completed or cancelled within 60 seconds, none stuck
