Feature: Credentials quoted in an error stay secret
  As a user whose provider quotes my request back in its error messages
  I want any credentials in those messages blanked out before they are shown or kept
  So that reading an execution, or its stored history, never hands anyone my tokens

  Scenario: Bearer and basic credentials quoted in a provider's error are blanked out everywhere
    Given a graph whose provider rejects the key with the message "401 on POST /v1/chat with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjcmV3LTcifQ.Rk9xZ2lWc0hLbXc and Proxy-Authorization: Basic b3BlcmF0b3I6c3dvcmRmaXNoLTQy"
    When I queue an execution of the graph
    Then the execution fails within 10 seconds
    And the bearer token "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjcmV3LTcifQ.Rk9xZ2lWc0hLbXc" leaves no trace in what the service answers or stores
    And the basic credentials "b3BlcmF0b3I6c3dvcmRmaXNoLTQy" leave no trace in what the service answers or stores
    And its history still quotes the failure: "with Authorization: Bearer" and "and Proxy-Authorization: Basic"
