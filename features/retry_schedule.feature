Feature: A retry starts when it is due, never sooner
  As a user whose crews depend on providers that need a pause after a failure
  I want each next attempt to wait as long as the retry policy or the provider says
  So that a struggling provider gets the pause it asked for, and the pauses grow while failures go on

  Scenario: Without jitter, each wait between attempts is twice the one before
    Given a graph that fails in a way worth retrying on its first 4 attempts, retried after 0.25 s at first, without jitter
    When I queue an execution of the graph
    Then the execution completes within 20 seconds
    And it took 5 attempts
    And the waits between its attempts were 0.25, 0.5, 1 and 2 seconds

  Scenario: A provider's Retry-After is honoured also after the execution's priority was raised
    Given every worker is busy with a long execution
    And a graph that is rate-limited with a Retry-After of 2 seconds on its first attempt
    And a low-priority execution of the graph waiting in the queue, raised to high
    When one worker becomes free
    Then the execution completes within 15 seconds
    And its history is queued, running, retrying, running, completed
    And the wait before its second attempt was at least 2 seconds
