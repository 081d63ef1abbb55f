@use.with_stack=services  # the embedded stack runs a single in-process worker: there is nothing to share
Feature: Several workers share the work
  As the operator of the service
  I want to add worker processes when the queue grows
  So that more executions run at once, whichever worker picks them up

  Scenario: A burst of executions is shared by two workers
    Given two workers are running
    When I queue a burst of 12 executions
    Then all of them complete
    And both workers ran some of them
