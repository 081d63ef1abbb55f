@crewai @fixture.fake_model_provider
Feature: A real CrewAI crew resumes at the task that failed, without paying again for the tasks before it
  As the owner of a crew whose model calls cost money
  I want a retry to start at the task that failed, with the outputs of the tasks before it
  So that a passing provider failure late in my crew is not paid for twice

  Scenario Outline: A crew failing once in a late task makes <calls> model calls with resume <state>
    Given a crew of <tasks> tasks, each building on the one before, with resume turned <state>
    And the model provider fails once, with HTTP 500, in task <failing>
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 40 seconds
    And it took 2 attempts
    And the model provider was called <calls> times in all
    And after the failure it was called only for task <resumed_at> and the tasks after it
    And every task was given the output of the task before it
    And the outputs are the findings of every task, in order

    Examples:
      | tasks | failing | state | calls | resumed_at |
      | 3     | 3       | on    | 4     | 3          |
      | 5     | 4       | on    | 6     | 4          |
      | 5     | 4       | off   | 9     | 1          |

  Scenario: A finished execution rerun from a task calls the model only from that task on
    Given a crew of 3 tasks, each building on the one before
    And an execution of it about "octopuses" that has completed
    When I rerun the execution from "part 3"
    Then the model provider was called 4 times in all
    And every task was given the output of the task before it
    And the outputs are the findings of every task, in order
