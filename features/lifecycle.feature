@reliability
Feature: Executions end, and the API says what is wrong, through database outages and worker stops
  As an operator who restarts databases and redeploys workers
  I want the API to say when its database is away, finished work to be kept until it is back,
  and stopping workers to finish or hand back what they run
  So that no accepted execution is lost, left running or run twice

  # The database's outages are the services stack's: its own PostgreSQL database stops taking
  # connections and every open one is closed (support/faults/database.py), as a restart does.
  # The suite runs with a heartbeat timeout of 5 s and a shutdown grace of 1.5 s.

  Scenario: The service is ready when its database, its broker and its schema are
    When I ask whether the service is ready
    Then it answers ready, each of the database, the broker and the schema checks passing
    And 50 readiness checks in a row answer within 50 ms at the 95th percentile
    And the liveness check still answers that the service is alive

  @fixture.schema_behind
  Scenario: A database not migrated to the latest schema is not ready
    Given the database's schema is one migration behind the code
    When I ask whether the service is ready
    Then it answers not ready, naming the schema
    And the liveness check still answers that the service is alive

  @use.with_stack=services @fixture.database_outage
  Scenario: While the database is down the API answers 503, and it serves again after
    Given a graph with 1 task
    And an execution of the graph that has completed
    When the database goes down
    Then every call to the API answers 503 DATABASE_UNAVAILABLE with a Retry-After
    And the service answers not ready, naming the database
    And the liveness check still answers that the service is alive
    When the database is back
    Then the API serves again within 15 seconds
    And it answers ready, each of the database, the broker and the schema checks passing
    And the API logged the outage without a server error

  @use.with_stack=services @fixture.database_outage
  Scenario: A crew that finishes while the database is down is recorded once it is back
    Given a graph with 1 task of 10 steps taking 100 ms each
    And an execution of the graph that is running
    When the database goes down until the crew has finished, then comes back
    Then the execution completes within 20 seconds
    And its history is queued, running, completed
    And its completion was written after the database came back
    And it took 1 attempt

  @use.with_stack=services @fixture.database_outage
  Scenario: A database outage longer than the heartbeat timeout does not make a running execution lost
    Given a graph with 1 task of 120 steps taking 100 ms each
    And an execution of the graph that is running
    When the database stays down longer than the heartbeat timeout, then comes back
    Then the execution completes within 30 seconds
    And its history is queued, running, completed
    And it took 1 attempt

  @use.with_stack=services
  Scenario: A worker stopped gracefully lets a short crew finish
    Given a graph with 1 task of 10 steps taking 100 ms each
    And an execution of the graph that is running
    When the worker running it is stopped gracefully
    Then it completed on the stopped worker before that worker exited
    And its history is queued, running, completed
    And the worker had exited within 8 seconds of being told to stop

  @use.with_stack=services
  Scenario: A worker stopped gracefully hands a long crew back, and another worker completes it
    Given a graph with 1 task of 60 steps taking 100 ms each
    And an execution of the graph that is running
    When the worker running it is stopped gracefully
    Then the execution completes within 30 seconds
    And its history is queued, running, retrying, running, completed
    And it was handed back without an error and started on another worker within 3 seconds of the stop
    And its attempt count is 1: the run it handed back is not counted
    And nothing is left running
