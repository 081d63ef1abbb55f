# Killing and restarting worker processes needs worker processes of their own: the embedded
# stack runs its worker inside the test process, so these run on the services stack only.
@use.with_stack=services
Feature: No execution is lost when a worker dies or restarts
  As an operator running workers on machines that fail and get redeployed
  I want an execution whose worker died to be run again, and a pending retry to survive a restart
  So that no execution is ever lost or left stuck in running

  Scenario: A worker process dying mid-crew does not lose the execution
    Given a graph with 1 task of 30 steps taking 100 ms each, tried up to 3 times
    And an execution of the graph that is running
    When the worker process running it is killed
    Then the execution completes within 40 seconds
    And its history shows the lost attempt and a second run

  Scenario: A retry that is waiting survives a restart of every worker
    Given a graph that is rate-limited on its first attempt and retried after 3 seconds
    When I queue an execution of the graph
    And it is waiting for its next attempt
    And every worker is stopped and started again
    Then the execution completes within 40 seconds
    And it took 2 attempts
    And its second attempt ran on the restarted workers
