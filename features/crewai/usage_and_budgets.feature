@crewai @fixture.fake_model_provider
Feature: What a real CrewAI crew's model calls used, and a budget that stops it
  As a team paying for the model calls of our CrewAI crews
  I want each execution's usage counted from what the provider reports, and its budget enforced
  So that the numbers I see are the provider's, and a crew over budget makes no further call

  The fake model provider reports 10 prompt and 5 completion tokens with every answer.

  Background:
    Given a research crew of two agents and two tasks
    And the model provider answers "Octopuses have three hearts." to the research task
    And the model provider answers "An article about the three hearts of octopuses." to the writing task

  Scenario: Usage adds up over the model calls, each counted once
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And its usage counts every request the model provider answered, at 10 prompt and 5 completion tokens each
    And each task and each agent used 15 tokens in 1 model calls
    And its usage is under the model the crew names, "openai/gpt-4o-mini", with an estimated cost in EUR

  Scenario: A manager's model calls count towards the execution's usage
    Given the crew is run by a manager who hands the tasks to its agents
    And the model provider has the manager hand the research to the researcher
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And its usage counts every request the model provider answered, at 10 prompt and 5 completion tokens each

  Scenario Outline: A budget of <budget> stops the crew before its next model call
    Given the crew's budget is <budget>
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "BUDGET_EXCEEDED" in the category "permanent"
    And its usage is 10 prompt, 5 completion and 15 total tokens in 1 model calls
    And the model provider received 1 request
    And the output of the "research" task is "Octopuses have three hearts."

    Examples:
      | budget                  |
      | at most 1 model call    |
      | at most 10 total tokens |
