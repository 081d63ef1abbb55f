Feature: A retry resumes at the task that failed, and a finished execution can be rerun from a task
  As the owner of a crew whose model calls cost money
  I want a retry to start at the task that failed, re-using what the tasks before it produced
  So that a passing failure late in my crew does not make me pay for its first tasks again

  Scenario: A crew failing once in its third task resumes there on its next attempt
    Given a crew of 4 tasks that fails once in its third task
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 15 seconds
    And it took 2 attempts
    And its first attempt ran the tasks "task 1" to "task 3"
    And its second attempt ran the tasks "task 3" to "task 4"
    And every task's output is kept once, in the order of the tasks
    And the history of its second attempt names "task 1" and "task 2" as re-used
    And its event stream says "task 1" and "task 2" were re-used, with their outputs

  Scenario: With resume turned off a retry restarts from the first task
    Given a crew of 4 tasks that fails once in its third task, with resume turned off
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 15 seconds
    And it took 2 attempts
    And its second attempt ran the tasks "task 1" to "task 4"
    And every task's output is kept once, in the order of the tasks
    And the history of its second attempt says it restarted because resume is off

  Scenario: A crew run by a manager restarts from scratch, and its history says so
    Given a crew of 4 tasks run by a manager that fails once in its third task
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 15 seconds
    And it took 2 attempts
    And its second attempt ran the tasks "task 1" to "task 4"
    And the history of its second attempt says it restarted because a manager runs the crew

  Scenario: A finished execution is rerun from a task, re-using the outputs before it
    Given an execution of a crew of 4 tasks that has completed
    When I rerun it from "task 3"
    Then the rerun is accepted and completes within 15 seconds
    And it names the execution it reruns, from "task 3"
    And it has the graph, inputs, priority, metadata and timeout of the original
    And its first attempt ran the tasks "task 3" to "task 4"
    And its outputs of "task 1" and "task 2" are the original's, and its history says they were re-used
    And every task's output is kept once, in the order of the tasks
    And the original execution is unchanged

  Scenario: A failed execution is rerun from the task that failed
    Given an execution of a crew of 4 tasks that failed for good in its third task
    When I rerun it from "task 3"
    Then the rerun is accepted and fails again within 15 seconds
    And its first attempt ran the tasks "task 3" to "task 3"

  Scenario: A rerun without a task runs the whole crew again
    Given an execution of a crew of 4 tasks that has completed
    When I rerun it from the start
    Then the rerun is accepted and completes within 15 seconds
    And its first attempt ran the tasks "task 1" to "task 4"

  Scenario Outline: A rerun from a task it cannot start from is refused
    Given an execution of a crew of 4 tasks that failed for good in its second task
    When I rerun it from "<task>"
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the message names "from_task"
    And nothing was written

    Examples:
      | task         |
      | no such task |
      | task 3       |

  Scenario: Another owner's execution cannot be rerun
    Given an execution of a crew of 4 tasks that has completed
    When another owner, "globex", reruns it from "task 2"
    Then it is refused with HTTP 404 and the code "EXECUTION_NOT_FOUND"
    And nothing was written

  Scenario: An execution still running cannot be rerun
    Given an execution that is still running
    When I rerun it from "task 1"
    Then it is refused with HTTP 409 and the code "EXECUTION_NOT_FINISHED"
