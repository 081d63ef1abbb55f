Feature: An execution cancelled before it starts never runs its crew
  As a user who calls off an execution while it waits for a worker
  I want its crew never to start, even once its message reaches a worker
  So that nothing runs, and nobody pays, for work I called off

  Scenario: The crew of an execution cancelled while queued never starts
    Given every worker is busy with a long execution
    And a graph whose crew records each time it starts
    And an execution waiting in the queue
    When I cancel the waiting execution
    Then it is cancelled at once
    And after the workers are free it has still never started
    And its crew never started, though a later execution of the graph did
