Feature: Queueing a graph that does not exist
  As a user of the service
  I want a clear refusal when I queue a graph that is not there
  So that I never wait for an execution that can never run

  @smoke
  Scenario: Queueing a graph that was never defined is refused
    Given a graph id that was never defined
    When I queue an execution of that graph
    Then it is refused as not found with the code "GRAPH_NOT_FOUND"
    And the refusal names the graph id
    And no execution was created
    And the queue statistics are unchanged

  Scenario: Queueing a graph that has been deleted is refused
    Given a graph with 2 tasks
    And the graph has been deleted
    When I queue an execution of the graph
    Then it is refused as not found with the code "GRAPH_NOT_FOUND"
    And no execution was created
    And the queue statistics are unchanged

  Scenario: Looking up a graph that was never defined
    Given a graph id that was never defined
    When I look up that graph
    Then it is refused as not found with the code "GRAPH_NOT_FOUND"

  Scenario: An execution queued before its graph was deleted still runs
    Given a graph with 2 tasks of 3 steps taking 100 ms each
    When I queue an execution of the graph
    And the graph is deleted
    Then the execution completes within 10 seconds
