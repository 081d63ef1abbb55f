Feature: When a crew fails, users see where and why, and keep what was done
  As a user whose crew failed part-way
  I want to know which task failed and to keep the work finished before it
  So that I can fix the cause without losing what the crew already produced

  Scenario: A task failing mid-crew is named, and progress and earlier outputs are kept
    Given a graph of 3 tasks whose second task fails with an error inside the crew at its third step
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error names the task "task 2"
    And its progress stopped in "task 2" between 33% and 67%
    And only the output of "task 1" is kept
    And it has no result

  Scenario: A failing tool is a permanent failure and is not retried
    Given a graph of 2 tasks whose first task fails with a failing tool, with up to 3 attempts
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error is "TOOL_ERROR" in the category "permanent"
    And it took 1 attempt

  Scenario: A crew that returns something other than text is reported clearly
    Given a graph whose crew returns something that is not text
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error is "CREW_OUTPUT_INVALID" in the category "permanent"
    And its error message says "The crew returned something that is not a result."
    And only the output of "task 1" is kept

  Scenario: A failure in the first task keeps no outputs
    Given a graph of 3 tasks whose first task fails with an error inside the crew at its first step
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error names the task "task 1"
    And no task output is kept

  Scenario: A missing input fails at once and says so
    Given a graph of 2 tasks whose first task fails with a missing input, with up to 3 attempts
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error is "INPUT_MISSING" in the category "permanent"
    And its error message says "An input the graph needs was not given"
    And it took 1 attempt
