Feature: Bad requests are refused clearly and change nothing
  As a developer calling the service
  I want every bad request refused with a status, a code and a message naming the problem
  So that I can fix my call, and nothing half-done is left behind

  Scenario Outline: <request> is refused
    Given a graph with 2 tasks
    When I send <request>
    Then it is refused with HTTP <status> and the code "<code>"
    And the message names "<names>"
    And nothing was written

    Examples: Graph definitions
      | request                                          | status | code             | names            |
      | a graph without a name                           | 422    | VALIDATION_ERROR | name             |
      | a graph without agents                           | 422    | VALIDATION_ERROR | agents           |
      | a graph without tasks                            | 422    | VALIDATION_ERROR | tasks            |
      | a graph whose agent has no goal                  | 422    | VALIDATION_ERROR | agents.0.goal    |
      | a graph whose task names an unknown agent        | 422    | VALIDATION_ERROR | tasks.0.agent    |
      | a graph with two agents of the same role         | 422    | VALIDATION_ERROR | agents           |
      | a graph whose tasks are not a list               | 422    | VALIDATION_ERROR | tasks            |
      | a graph with an unknown process                  | 422    | VALIDATION_ERROR | process          |
      | a graph with a negative timeout                  | 422    | VALIDATION_ERROR | timeout_seconds  |
      | a graph with an unknown field                    | 422    | VALIDATION_ERROR | colour           |
      | a graph whose model key is not a key variable    | 422    | VALIDATION_ERROR | api_key_env      |

    Examples: Queueing
      | request                                          | status | code             | names            |
      | an execution with an unknown priority            | 422    | VALIDATION_ERROR | priority         |
      | an execution with a negative timeout             | 422    | VALIDATION_ERROR | timeout_seconds  |
      | an execution with a timeout above the maximum    | 422    | VALIDATION_ERROR | timeout_seconds  |
      | an execution whose inputs are not an object      | 422    | VALIDATION_ERROR | inputs           |
      | an execution with oversized inputs               | 422    | VALIDATION_ERROR | inputs           |
      | an execution with an unknown field               | 422    | VALIDATION_ERROR | colour           |
      | an execution request that is not JSON            | 400    | MALFORMED_JSON   | JSON             |
      | an execution of a malformed graph id             | 422    | VALIDATION_ERROR | graph_id         |

    Examples: Reading and cancelling
      | request                                          | status | code                | names        |
      | a lookup of an unknown execution                 | 404    | EXECUTION_NOT_FOUND | execution    |
      | a lookup of a malformed execution id             | 422    | VALIDATION_ERROR    | execution_id |
      | a history request for an unknown execution       | 404    | EXECUTION_NOT_FOUND | execution    |
      | a cancellation of an unknown execution           | 404    | EXECUTION_NOT_FOUND | execution    |
      | a listing with a limit of 0                      | 422    | VALIDATION_ERROR    | limit        |
      | a listing with an unknown status                 | 422    | VALIDATION_ERROR    | status       |
      | a listing with a forged cursor                   | 422    | VALIDATION_ERROR    | cursor       |
