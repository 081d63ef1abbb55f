@security
Feature: Requests past the service's limits are refused before anything is stored
  As the operator of the service
  I want every request past a limit, or with a value of the wrong type, refused with a
  status and a code naming the limit or the field
  So that no caller can fill the service with oversized or ill-typed data

  Scenario Outline: <request> is refused
    Given a graph with 2 tasks
    When I send <request>
    Then it is refused with HTTP <status> and the code "<code>"
    And the message names "<names>"
    And nothing was written

    Examples: Sizes
      | request                                                          | status | code             | names                        |
      | a graph definition larger than the body limit                    | 413    | BODY_TOO_LARGE   | max_body_bytes               |
      | an execution request larger than the body limit, sent in chunks  | 413    | BODY_TOO_LARGE   | max_body_bytes               |
      | a graph with 51 agents                                           | 422    | VALIDATION_ERROR | agents                       |
      | a graph with 201 tasks                                           | 422    | VALIDATION_ERROR | tasks                        |
      | a graph whose agent's goal is 10001 characters long              | 422    | VALIDATION_ERROR | agents.0.goal                |
      | a graph whose task's context names 201 tasks                     | 422    | VALIDATION_ERROR | tasks.1.context              |
      | a graph whose scripted output is 100001 characters long          | 422    | VALIDATION_ERROR | script.default.output        |
      | a listing of 501 executions per page                             | 422    | VALIDATION_ERROR | limit                        |

    Examples: Types and values
      | request                                                          | status | code             | names                        |
      | a graph whose scripted step time is a boolean                    | 422    | VALIDATION_ERROR | script.default.step_seconds  |
      | a graph whose timeout is a text                                  | 422    | VALIDATION_ERROR | settings.timeout_seconds     |
      | a graph whose retry count is a boolean                           | 422    | VALIDATION_ERROR | settings.retry.max_attempts  |
      | a graph whose timeout is 5e-324 seconds                          | 422    | VALIDATION_ERROR | settings.timeout_seconds     |
      | a graph whose name holds a NUL character                         | 422    | VALIDATION_ERROR | name                         |
      | an execution whose timeout is a boolean                          | 422    | VALIDATION_ERROR | timeout_seconds              |
      | an execution whose queue timeout is a text                       | 422    | VALIDATION_ERROR | queue_timeout_seconds        |
      | an execution whose timeout is 5e-324 seconds                     | 422    | VALIDATION_ERROR | timeout_seconds              |
      | an execution whose inputs hold a NUL character                   | 422    | VALIDATION_ERROR | inputs.topic                 |

  Scenario: A method a path does not have is refused, naming every method it has
    Given a graph with 2 tasks
    When I send a PUT to the graph
    Then it is refused with HTTP 405 and the code "METHOD_NOT_ALLOWED"
    And the answer allows exactly "DELETE, GET"
    And nothing was written
