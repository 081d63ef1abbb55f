Feature: Cancelling an execution stops it for good
  As a user who no longer wants an execution
  I want cancel to stop it now, keep what it did, and free its worker
  So that I stop paying for work nobody needs and other executions get the worker

  @smoke
  Scenario: A running execution stops within a second and keeps its progress
    Given a graph with 1 task of 100 steps taking 100 ms each
    And an execution of the graph that is running
    When I cancel it
    Then it is cancelled at once
    And its crew stops within 1 second
    And the progress it made is kept

  Scenario: A crew that does not stop when asked is stopped hard, and the next execution starts
    Given every worker is busy with a crew that does not stop when asked
    And an execution waiting in the queue
    When I cancel one of the busy executions
    Then its crew is stopped within 1 second
    And the waiting execution starts within 2 seconds

  Scenario: Cancelling twice answers the same and records one cancellation
    Given a graph with 1 task of 100 steps taking 100 ms each
    And an execution of the graph that is running
    When I cancel it twice
    Then both answers say it is cancelled, and its history shows one cancellation

  Scenario Outline: Cancelling an execution that has <ended> is refused and changes nothing
    Given an execution that has <ended>
    When I cancel it
    Then it is refused as already finished, and it is still <status> with the same history

    Examples:
      | ended     | status    |
      | completed | completed |
      | failed    | failed    |
      | timed out | timed_out |

  Scenario: A cancel racing the completion ends in exactly one final state
    When I cancel 30 executions just as they are finishing
    Then each ended in exactly one final state, the one its cancel answer promised

  Scenario: Stopping running executions takes well under a second
    When I cancel 10 running executions whose crews take 100 ms steps, one after another
    Then the time from cancel to stopped crew is under 1 second at the 95th percentile
