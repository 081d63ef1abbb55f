@security
Feature: Each owner sees and changes only its own graphs and executions
  As an operator offering the service to several products
  I want every request to carry an API key, and everything a key makes to belong to its owner
  So that no product can read, change or even learn of another product's work

  Background:
    Given another owner, "acme", with an API key of its own

  Scenario: A request without an API key is refused
    When I list the executions without an API key
    Then it is refused as unauthenticated, asking for a bearer key

  Scenario: A request with a key the service never issued is refused
    When I list the executions with a key the service never issued
    Then it is refused as unauthenticated, saying the key is not valid

  Scenario: A revoked key stops working, and what its owner made is kept
    Given acme has defined a graph
    When the operator revokes acme's key
    Then acme's requests are refused as unauthenticated within 5 seconds
    And acme's graph is still stored

  Scenario Outline: Another owner's graph answers as if it did not exist: <act>
    Given acme has defined a graph
    When I <act> acme's graph
    Then it is refused as not found with the code "GRAPH_NOT_FOUND"
    And acme's graph is unchanged, with no execution of it

    Examples:
      | act                   |
      | look up               |
      | queue an execution of |
      | delete                |

  Scenario Outline: Another owner's execution answers as if it did not exist: <act>
    Given acme has an execution waiting in the queue behind my long ones
    When I <act> acme's execution
    Then it is refused as not found with the code "EXECUTION_NOT_FOUND"
    And acme's execution is unchanged

    Examples:
      | act                   |
      | read                  |
      | read the history of   |
      | cancel                |
      | raise the priority of |

  Scenario: Listings and queue statistics show each owner its own executions
    Given acme has 3 executions that have completed
    And I have 2 executions that have completed
    Then I list exactly my own executions
    And I see only my own executions in the queue statistics
    And acme lists exactly its own executions
    And acme sees only its own executions in the queue statistics
    And listing the executions of acme's graph shows me none

  Scenario: Only an operator may reset a provider's circuit
    Given the provider's circuit has been opened by failures
    When I reset the provider's circuit with my own key
    Then it is refused as forbidden with the code "FORBIDDEN"
    And the provider's circuit is still "open"
    When the operator resets the provider's circuit
    Then the reset is done
    And the provider's circuit is "closed"

  Scenario: An owner's own limit of active executions
    Given the operator allows acme at most 2 executions queued or running
    And acme has 2 long executions under way
    When acme queues one more execution
    Then it is refused for acme's limit of 2, with a time to try again
    And I can still queue an execution of a graph of mine

  @use.with_stack=services
  Scenario: Authentication cannot be switched off on a shared database
    When the operator starts the API on the shared database with authentication disabled
    Then it refuses to start, naming "EXEC_AUTH=disabled"
