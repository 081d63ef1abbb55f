@crewai @fixture.fake_model_provider
Feature: Crews run on the real CrewAI library
  As the owner of a crew built with CrewAI
  I want the service to run my agents and tasks with CrewAI itself, against my model provider
  So that what I queue behaves exactly as my crew does, with results, outputs and progress I can follow

  Background:
    Given a research crew of two agents and two tasks
    And the model provider answers "Octopuses have three hearts." to the research task
    And the model provider answers "An article about the three hearts of octopuses." to the writing task

  @smoke
  Scenario: A crew of two agents completes with the model's answer as its result
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And its result is "An article about the three hearts of octopuses."
    And the output of every task is kept
    And the output of the "research" task is "Octopuses have three hearts."
    And the model provider was asked once per task, for the model the crew names, with a key

  Scenario: The inputs reach the model and each task builds on the one before
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And every request to the model provider mentions "octopuses"
    And the writer was given the researcher's findings

  Scenario: Progress follows the tasks as the crew works through them
    Given the model provider takes 0.5 seconds to answer
    When I queue an execution of the graph about "octopuses"
    And I watch its progress until it finishes
    Then the progress I saw never went down
    And I saw progress between 0% and 100% while it ran
    And the task in progress was "research" and then "write"
    And the progress ended at 100%

  Scenario: Several crews running at once each keep their own results
    Given the model provider answers each task about the topic it was given
    And the model provider takes 0.3 seconds to answer
    When I queue 3 executions of the graph, each about a different topic
    Then all of them complete within 30 seconds
    And each result mentions its own topic
    And each execution kept only the outputs about its own topic
    And each execution has a history of its own

  Scenario: An agent uses a tool from the allowed list
    Given the researcher may use the calculator
    And the model provider has the researcher work out "6 * 7" with the calculator
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And the model provider was told the calculator's answer "42"
    And the output of the "research" task is "Octopuses have three hearts."

  Scenario: A tool that is not on the allowed list is refused when the crew is defined
    When I define a crew whose researcher uses the tool "shell"
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the message names "agents.0.tools"
    And nothing was written

  Scenario: A manager runs the crew and hands the work to its agents
    Given the crew is run by a manager who hands the tasks to its agents
    And the model provider has the manager hand the research to the researcher
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And its result is "An article about the three hearts of octopuses."
    And the researcher did the research the manager handed over
