@crewai @fixture.fake_model_provider
Feature: Cancelling and timing out stop a real crew, even in the middle of a model call
  As a user whose crew is stuck waiting for its model provider
  I want cancel and the execution's timeout to stop the crew at once
  So that a hung provider call never holds my execution or its worker

  Background:
    Given a research crew of two agents and two tasks

  @smoke
  Scenario: Cancelling a crew that waits on a hanging model call stops it at once
    Given the model provider never answers
    When I queue an execution of the graph about "octopuses"
    And the crew is waiting for the model provider
    And I cancel it
    Then it is cancelled at once
    And its crew stops within 1 second
    And the crew asked the model provider nothing more

  Scenario: A crew cancelled while its first task runs never starts the second
    Given the model provider takes 1.5 seconds to answer
    When I queue an execution of the graph about "octopuses"
    And the crew is waiting for the model provider
    And I cancel it
    Then it is cancelled at once
    And its crew stops within 1 second
    And the crew asked the model provider nothing more

  Scenario: A hanging model call times out on time
    Given the model provider never answers
    When I queue an execution of the graph with a timeout of 2 seconds
    Then the execution times out within 6 seconds
    And it ended within 0.5 seconds of its deadline
    And its crew stops within 1 second

  Scenario: After a hung crew is stopped its worker runs the next execution
    Given the model provider never answers the first request
    When I queue an execution of the graph with a timeout of 1 second
    Then the execution times out within 5 seconds
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
