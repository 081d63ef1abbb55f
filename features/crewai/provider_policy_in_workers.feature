@security @crewai @fixture.fake_model_provider @fixture.key_listener
Feature: Workers check the provider policy before every run
  As the operator of the service
  I want a worker to check a graph against my provider policy each time it runs it
  So that a graph stored before I narrowed the policy cannot send my keys anywhere

  Scenario: A stored graph whose endpoint is no longer allowed fails without the key leaving the worker
    Given a listener that records every key sent to it
    And a crew stored before the policy narrowed, sending the worker's key to that listener
    When I queue an execution of the graph
    Then the execution fails within 20 seconds
    And its error is "PROVIDER_NOT_ALLOWED" in the category "permanent"
    And it took 1 attempt
    And the listener never received a key of the workers
    And the listener received no requests

  Scenario: A stored graph sending a key no longer allowed at its endpoint fails without sending it
    Given a crew stored before the policy narrowed, sending the workers' standard key to the model provider
    When I queue an execution of the graph
    Then the execution fails within 20 seconds
    And its error is "PROVIDER_NOT_ALLOWED" in the category "permanent"
    And it took 1 attempt
    And the model provider never received a key of the workers
    And the model provider received no requests

  Scenario: A crew at an allowed endpoint that names no key sends none of the workers' keys
    Given a research crew of two agents and two tasks
    And the crew's models name no key
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "PROVIDER_AUTH_FAILED" in the category "permanent"
    And every request to the model provider carried the placeholder key, none of the workers' keys
