@security @fixture.key_listener
Feature: Model keys go only where the operator allows
  As the operator of the service
  I want the workers' model keys sent only to the endpoints I have allowed, each with the keys I have allowed there
  So that nobody who can define a graph can collect the keys of the workers

  The operator's provider policy lists the model endpoints a graph may name and the keys
  that may be sent to each. Everything else is refused when the graph is defined, naming
  the field, and nothing is stored.

  Scenario: A graph sending the worker's key to a listener of its own is refused
    Given a listener that records every key sent to it
    When I define a crew whose agent sends the worker's key to that listener
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "agents.0.llm.base_url"
    And nothing was written
    And the listener never received a key of the workers

  Scenario: A key the operator does not allow at an allowed endpoint is refused
    When I define a crew whose agent sends the key "OPENAI_API_KEY" to the model provider
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "agents.0.llm.api_key_env"
    And nothing was written

  Scenario: The manager of a crew is held to the same policy as its agents
    Given a listener that records every key sent to it
    When I define a managed crew whose manager's model is at that listener
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "manager_llm.base_url"
    And nothing was written

  Scenario Outline: An address dressed up as an allowed one is refused: <address>
    When I define a crew whose model is at <address>
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the refusal names the field "agents.0.llm.base_url"
    And nothing was written

    Examples:
      | address                                          |
      | the allowed address with a user name in it       |
      | a host that only starts like the allowed one     |
      | the allowed address with more path after it      |
      | the allowed address over plain http              |
      | the allowed address on another port              |
      | the allowed address with a step back in its path |

  Scenario: The allowed address written differently is the same endpoint
    When I define a crew whose model is at the allowed address in capitals with a trailing slash
    Then the graph is accepted
