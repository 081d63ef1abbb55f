# The broker only carries messages; the database is the truth. A waiting execution whose
# message was lost is sent again once it has waited EXEC_REDISPATCH_AFTER_SECONDS (2 s on
# the test stacks) and its message cannot be waiting in the broker.
@reliability
Feature: An accepted execution always runs, even when its message is lost
  As an operator whose Redis may restart without persistence, and whose API processes may die
  I want every accepted execution to run exactly once
  So that nothing stays queued for ever and nothing runs twice

  @use.with_stack=services
  Scenario: Executions whose messages the broker lost still run, each once
    Given only one worker of 2 slots is running
    When I queue 12 executions of a crew taking 1 second
    And the broker loses every message it holds once 2 executions have completed
    Then all of them complete within 30 seconds
    And each of them ran exactly once
    And only those that were waiting when the broker lost them were sent again, once each

  Scenario: An execution committed by an API that died before publishing it still runs
    Given an execution the API committed but died before publishing
    Then the execution completes within 15 seconds
    And each of them ran exactly once

  Scenario: A long backlog waiting behind busy workers is not sent again
    When I queue 200 executions of a crew taking 100 ms
    Then all of them complete within 60 seconds
    And some of them waited in the queue longer than 2 seconds
    And each of them ran exactly once
    And no message was sent again

  @use.with_stack=services @chaos
  Scenario: Chaos: every accepted execution ends exactly once through crashes and a lost broker
    When 200 executions of crews taking 0.2 to 2 seconds are queued through these faults
      | fault                                                | when                           |
      | a worker's pool processes are killed, each in turn   | every 3 seconds                |
      | the API process is killed and started again          | once, halfway through queueing |
      | the broker loses every message it holds              | once, after 150 are queued     |
    Then within 240 seconds every execution has ended
    And each ended exactly once: one final status, no attempts overlapping, none completed twice
    And the run's counts are reported
