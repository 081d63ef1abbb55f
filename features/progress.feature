Feature: Progress shows how far a crew has come
  As a user waiting for a crew that takes a while
  I want the progress to move while each task works, and never to go back
  So that I can tell a working crew from a stuck one, and trust the figure I see

  Scenario: Progress moves while each task works, not only when a task ends
    Given a graph with 3 tasks of 6 steps taking 200 ms each
    When I queue an execution of the graph
    And I watch its progress until it finishes
    Then the progress ended at 100%
    And while each task ran its progress rose within that task's share of the work

  Scenario: Progress never goes back, even when a retry starts the crew over
    Given a graph whose crew fails late in its first attempt and succeeds on its second
    When I queue an execution of the graph
    And I watch its progress until it finishes
    Then the execution completed on its second attempt
    And I watched the first attempt get far and the second one start over
    And the progress I saw never went down
