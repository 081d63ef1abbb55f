@crewai @fixture.fake_model_provider
Feature: Provider keys stay on the workers
  As the owner of a model provider account
  I want crews to use the key from the workers' environment, and the key to show up nowhere else
  So that a key cannot leak through the API, the database or an error message

  Background:
    Given a research crew of two agents and two tasks

  @smoke
  Scenario: The workers' key reaches the provider and nothing else
    When I queue an execution of the graph about "octopuses"
    Then the execution completes within 20 seconds
    And every request to the model provider carried the worker's key
    And the provider key appears nowhere the service answers or stores

  Scenario: A key the provider rejects is a permanent failure with a clear message
    Given the crew's key is one the model provider rejects
    And the crew may be tried 3 times
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "PROVIDER_AUTH_FAILED" in the category "permanent"
    And its error message says "The model provider rejected the credentials (HTTP 401, in research)."
    And it took 1 attempt
    And the model provider received 1 request
    And the rejected key appears nowhere the service answers or stores, though the provider repeated it

  Scenario: A key missing from the workers fails at once without calling the provider
    Given the crew names a key the workers do not have
    And the crew may be tried 3 times
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "PROVIDER_KEY_MISSING" in the category "permanent"
    And its error message says "The worker has no key for the model provider."
    And it took 1 attempt
    And the model provider received no requests

  Scenario: A model the provider does not know is a permanent failure
    Given the crew asks for the model "gpt-nonexistent"
    And the crew may be tried 3 times
    When I queue an execution of the graph about "octopuses"
    Then the execution fails within 20 seconds
    And its error is "MODEL_NOT_FOUND" in the category "permanent"
    And its error message says "The model provider does not know the requested model"
    And it took 1 attempt
