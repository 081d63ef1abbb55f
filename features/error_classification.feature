Feature: Failures are classified so users know what went wrong and whether it will pass
  As a user whose crew failed
  I want a stable error code, a category and a plain message
  So that I know at a glance what went wrong and whether trying again can help

  Scenario Outline: A crew failing with <failure> is reported as <code>
    Given a graph whose crew fails with <failure>, without retries
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its error is "<code>" in the category "<category>"
    And its error is marked <retryable>
    And its error message is written for people, not machines

    Examples:
      | failure                                   | code                       | category  | retryable     |
      | a rate limit (HTTP 429)                   | PROVIDER_RATE_LIMITED      | transient | retryable     |
      | an exhausted quota (HTTP 429)             | PROVIDER_QUOTA_EXCEEDED    | permanent | not retryable |
      | a provider server error (HTTP 500)        | PROVIDER_UNAVAILABLE       | transient | retryable     |
      | a bad gateway (HTTP 502)                  | PROVIDER_UNAVAILABLE       | transient | retryable     |
      | a provider outage (HTTP 503)              | PROVIDER_UNAVAILABLE       | transient | retryable     |
      | a gateway timeout (HTTP 504)              | PROVIDER_TIMEOUT           | transient | retryable     |
      | an overloaded provider (HTTP 529)         | PROVIDER_OVERLOADED        | transient | retryable     |
      | rejected credentials (HTTP 401)           | PROVIDER_AUTH_FAILED       | permanent | not retryable |
      | a model it may not use (HTTP 403)         | PROVIDER_PERMISSION_DENIED | permanent | not retryable |
      | an unknown model (HTTP 404)               | MODEL_NOT_FOUND            | permanent | not retryable |
      | a prompt over the context length          | CONTEXT_LENGTH_EXCEEDED    | permanent | not retryable |
      | a context window error from litellm       | CONTEXT_LENGTH_EXCEEDED    | permanent | not retryable |
      | content refused by the provider           | CONTENT_FILTERED           | permanent | not retryable |
      | a request the provider rejects (HTTP 400) | PROVIDER_BAD_REQUEST       | permanent | not retryable |
      | an unprocessable request (HTTP 422)       | PROVIDER_BAD_REQUEST       | permanent | not retryable |
      | an SDK timeout                            | PROVIDER_TIMEOUT           | transient | retryable     |
      | an SDK connection error                   | NETWORK_ERROR              | transient | retryable     |
      | a read timeout as crewai reports it       | PROVIDER_TIMEOUT           | transient | retryable     |
      | a refused connection as crewai reports it | NETWORK_ERROR              | transient | retryable     |
      | a rate limit wrapped in another error     | PROVIDER_RATE_LIMITED      | transient | retryable     |
      | a rate limit from litellm                 | PROVIDER_RATE_LIMITED      | transient | retryable     |
      | an httpx read timeout                     | PROVIDER_TIMEOUT           | transient | retryable     |
      | an httpx connection error                 | NETWORK_ERROR              | transient | retryable     |
      | a requests connection error               | NETWORK_ERROR              | transient | retryable     |
      | a DNS failure                             | NETWORK_ERROR              | transient | retryable     |
      | a connection reset                        | NETWORK_ERROR              | transient | retryable     |
      | a socket timeout                          | PROVIDER_TIMEOUT           | transient | retryable     |
      | a failing tool                            | TOOL_ERROR                 | permanent | not retryable |
      | a tool that cannot reach its service      | TOOL_UNAVAILABLE           | transient | retryable     |
      | an answer the agent cannot parse          | LLM_OUTPUT_INVALID         | transient | retryable     |
      | a missing input                           | INPUT_MISSING              | permanent | not retryable |
      | an error inside the crew                  | CREW_FAILED                | permanent | not retryable |
      | a bad value inside the crew               | CREW_FAILED                | permanent | not retryable |
      | a worker out of memory                    | RESOURCE_EXHAUSTED         | internal  | not retryable |
      | a runner that is not installed            | RUNNER_UNAVAILABLE         | internal  | not retryable |

  Scenario: An API key quoted in a provider's error never reaches users
    Given a graph whose provider rejects the key with the message "Incorrect API key provided: sk-proj-Zx81ab29Qw77Lm45TyPl"
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And "Zx81ab29Qw77Lm45TyPl" appears nowhere the service answers or stores

  Scenario: A token in a URL that failed is not kept
    Given a graph whose network call fails with the message "cannot reach https://api.example.com/v1/chat?access_token=tok9f8e7d6c5b4a3"
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And "tok9f8e7d6c5b4a3" appears nowhere the service answers or stores

  Scenario: Credentials in a connection address are not kept
    Given a graph whose crew fails with the message "lost postgresql://admin:hunter2secretpw@db.internal/crew"
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And "hunter2secretpw" appears nowhere the service answers or stores

  Scenario: Operators still find the technical detail in the history
    Given a graph whose provider rejects the key with the message "Incorrect API key provided: sk-proj-Zx81ab29Qw77Lm45TyPl"
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And its history names the exception "AuthenticationError"
