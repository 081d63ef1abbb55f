Feature: Executions end at their deadline
  As a user whose crew may hang on a provider
  I want an execution to end at its deadline, reported as timed out, with its worker freed
  So that a hung crew never burns money or blocks a worker for long

  @smoke
  Scenario: A running execution that reaches its timeout ends timed out on time
    Given a graph with 1 task of 100 steps taking 100 ms each
    When I queue an execution of the graph with a timeout of 1 second
    Then the execution times out within 5 seconds
    And it ended within 0.5 seconds of its deadline
    And its deadline was 1 second after it started
    And the progress it made is kept

  Scenario: The graph's default timeout applies when none is given
    Given a graph whose executions time out after 1 second unless told otherwise
    When I queue an execution of the graph
    Then the execution times out within 5 seconds
    And its deadline was 1 second after it started

  Scenario: A hanging crew is stopped at its deadline and its worker takes the next execution
    Given every worker is busy with a crew that does not stop when asked, each with a timeout of 1 second
    And an execution waiting in the queue
    Then the busy executions time out and the waiting execution starts within 2 seconds

  Scenario: The timeout covers every attempt, and a retry never brings an execution back
    Given a graph whose provider is unavailable on every attempt, retried every 0.3 seconds up to 20 times
    When I queue an execution of the graph with a timeout of 1.5 seconds
    Then the execution times out within 5 seconds
    And it took fewer than 20 attempts
    And it stays timed out

  Scenario: A deadline that falls while waiting for the next attempt is reported at the deadline
    Given a graph whose provider is unavailable on every attempt, retried after 5 seconds
    When I queue an execution of the graph with a timeout of 1 second
    Then the execution times out within 4 seconds
    And it ended within 0.5 seconds of its deadline
    And it took 1 attempt

  Scenario: An execution that waited too long in the queue is reported and never run
    Given every worker is busy with a long execution
    When I queue an execution that may wait at most 1 second in the queue
    Then the execution times out within 5 seconds with the code "QUEUE_TIMEOUT"
    And after the workers are free it has still never run

  Scenario: Executions time out accurately
    When 8 executions with a timeout of 0.5 seconds run crews with 100 ms steps
    Then they end within 1 second of their deadline at the 95th percentile
