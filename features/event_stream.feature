Feature: Following an execution as it happens, and waiting for its end
  As a web app or a pipeline running crews
  I want every step of an execution pushed to me as it happens, and a call that
  answers when the execution is done
  So that I can show its progress live and act on its end without polling

  Scenario: A client following the stream sees every event once, in order, until the end
    Given a graph with 2 tasks of 3 steps taking 100 ms each
    When I queue an execution of the graph
    And I follow its event stream to the end
    Then I saw every event once, in order: the whole history, each task's start and output, and progress
    And the stream ended after the execution completed

  Scenario: A client cut off in the middle of a run resumes exactly where it left off
    Given a graph whose crew fails in its last task on the first attempt and succeeds when retried
    When I queue an execution of the graph
    And I follow its event stream until the first task's output, then reconnect with the last event id
    Then the two pieces together are exactly the stream read from the start, with the retry's wait

  Scenario: A quiet stream gets keep-alives
    Given a graph whose only step takes 4 seconds
    When I queue an execution of the graph
    Then the execution is running within 5 seconds
    And its event stream sends a keep-alive within 2 seconds

  Scenario: Another owner cannot follow or wait on my execution
    Given a graph with 1 task
    When I queue an execution of the graph
    And the owner "acme" follows its event stream and waits on it
    Then both are answered 404, as if it did not exist

  Scenario: A wait answers as soon as the execution ends
    Given a graph with 1 task of 3 steps taking 100 ms each
    When I queue 3 executions one after another, waiting on each
    Then each wait answered soon after the execution finished

  Scenario: A wait that runs out answers the current state
    Given a graph whose only step takes 4 seconds
    When I queue an execution of the graph
    Then the execution is running within 5 seconds
    When I wait on it for 1 second
    Then the answer came after 1 second and says it is running
    When I wait on it for 61 seconds
    Then the wait is refused naming wait
