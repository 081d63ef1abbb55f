@fixture.command_line
Feature: Engineers run the service and follow crews from the command line
  As an engineer trying crews on my machine, or working against a shared service
  I want one command that runs the whole service, and commands that queue a graph file,
  follow an execution to its end, cancel it, list the executions and show the queue
  So that I need no HTTP calls of my own, and a script can tell from the exit code how an
  execution ended

  # The client commands run as processes of their own against the stack's API, with the
  # suite's URL and key in EXEC_URL and EXEC_API_KEY. Their output is not a terminal, so
  # they write plain lines (a terminal gets a live progress bar). Exit codes (README):
  # 0 completed, 1 failed, 3 cancelled, 4 timed out, 5 refused by the API, 6 no API there.

  @smoke
  Scenario: Queueing a graph file and following the execution to its end
    Given a graph file of a crew with 3 tasks
    When I queue the graph file from the command line with the input topic=octopuses, following it
    Then the command ends with exit code 0 (completed)
    And it showed the execution queued, running, each of its 3 tasks started and completed, then completed
    And it printed the execution's id, then its result
    And the API has the execution completed with the input topic "octopuses"

  Scenario: A failing crew's command exits non-zero, naming the error
    Given a graph file of a crew whose second task fails with rejected credentials
    When I queue the graph file from the command line, following it
    Then the command ends with exit code 1 (failed)
    And it named the error PROVIDER_AUTH_FAILED

  Scenario: Cancelling an execution that somebody is watching
    Given a graph with 1 task of 100 steps taking 100 ms each
    And an execution of the graph that is running
    When I watch the execution from the command line
    And I cancel the execution from the command line
    Then the cancel command says it is cancelled, and so does the API
    And the watch ends with exit code 3 (cancelled)

  Scenario: Listing the executions and the queue's statistics
    Given a graph with 1 task
    And 2 executions of the graph that have completed
    When I list the executions from the command line
    Then it prints a table of the 2 executions, completed
    When I ask for the queue's statistics from the command line
    Then they show 2 completed in the last minute and the workers online

  Scenario: A request the API refuses prints its error code and exits non-zero
    When I watch an execution that does not exist from the command line
    Then the command ends with exit code 5 (refused)
    And it named the error EXECUTION_NOT_FOUND

  Scenario: The command says so when no service answers
    When I list the executions from the command line at an address where nothing listens
    Then the command ends with exit code 6 (unreachable)
    And it says it cannot reach the API, and how to start one

  # `serve` runs a service of its own (a process, its own data folder and port): it does
  # not depend on the suite's stack, so these run once, in the embedded stack's run.

  @use.with_stack=embedded
  Scenario: serve runs the whole service until it is told to stop
    Given the service is served from a new data folder
    Then it printed its URL, its data folder and a key, ready to export
    Given a graph file of a crew with 2 tasks
    When I queue the graph file on the served service, following it
    Then the command ends with exit code 0 (completed)
    When the served service is stopped with SIGTERM
    Then it stops within 15 seconds, saying "stopped", with exit code 0 and no process left

  @use.with_stack=embedded
  Scenario: serve keeps its data and its key across a restart
    Given the service is served from a new data folder
    And a graph file of a crew with 1 task
    And an execution of the graph file on it has completed
    When the served service is stopped and served again from the same data folder
    Then it says the earlier key still works, and prints no new one
    And the earlier key lists the execution, completed

  @use.with_stack=embedded
  Scenario: A crew running when serve stops is handed back, and completes after a restart
    Given the service is served from a new data folder, handing crews back after 0.5 s
    And an execution on it is running a crew of 100 steps taking 100 ms each
    When the served service is stopped and served again from the same data folder
    Then the execution was handed back at the stop, and completes after the restart

  @use.with_stack=embedded
  Scenario: The API alone refuses to start on the in-process broker, pointing to serve
    When the operator starts the API alone on the in-process broker
    Then it refuses to start, naming "execution-service serve"

  # An API process of its own beside the stack's (it needs Redis: the API alone refuses the
  # in-process broker), on a new database: the schema is looked at once, then every 5 s
  # while it is behind, never once it is at the head.
  @use.with_stack=services
  Scenario Outline: An API on a database never migrated answers 503 naming the command to run
    Given an API started on a <kind> database that was never migrated
    When I list the executions from that API
    Then it answers 503 SCHEMA_NOT_MIGRATED, naming "execution-service migrate"
    When the operator migrates that database and makes a key
    Then that API lists no executions within 10 seconds

    Examples:
      | kind       |
      | SQLite     |
      | PostgreSQL |
