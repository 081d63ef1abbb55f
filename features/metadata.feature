Feature: Metadata: label executions, then find them and cancel them by their labels
  As a product that runs crews for its own customers
  I want to queue each execution with my own metadata (a customer, an order)
  So that I can list a customer's executions and stop all of them in one call

  Background:
    Given a graph with 1 task

  Scenario: The metadata an execution was queued with comes back with it
    When I queue an execution with the metadata customer=acme, order=A-17
    Then the answer, the execution and the listing show the metadata customer=acme, order=A-17
    And an execution queued without metadata shows none

  Scenario Outline: Listing by metadata (<filter>) returns exactly my matching executions, page by page
    Given my executions queued with the metadata
      | metadata                   | count |
      | customer=acme, plan=gold   | 3     |
      | customer=acme, plan=free   | 2     |
      | customer=globex, plan=gold | 2     |
      | plan=gold                  | 1     |
      | (none)                     | 1     |
    And another owner "initech" has 2 executions with the metadata customer=acme, plan=gold
    When I list my executions with the metadata <filter>, <size> at a time
    Then I see exactly my <count> executions with the metadata <filter>, newest first, each once, in <pages> pages

    Examples:
      | filter                   | size | count | pages |
      | customer=acme            | 2    | 5     | 3     |
      | customer=acme, plan=gold | 2    | 3     | 2     |
      | plan=gold                | 4    | 6     | 2     |
      | customer=nobody          | 2    | 0     | 1     |

  Scenario: Metadata filters combine with the status filter
    Given every worker is busy with a long execution
    And my executions queued with the metadata
      | metadata      | count |
      | customer=acme | 3     |
      | plan=gold     | 1     |
    And 1 more execution with the metadata customer=acme that I cancelled while it waited
    When I list my cancelled executions with the metadata customer=acme
    Then I see exactly that cancelled execution

  Scenario Outline: Bad metadata is refused, naming it, and nothing is written
    When I queue an execution with bad metadata: <metadata>
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the message names "<names>"
    And nothing was written

    Examples:
      | metadata                               | names           |
      | a metadata key with a space            | metadata.my key |
      | a metadata key of 65 characters        | metadata.kkkkkk |
      | a metadata value of 513 characters     | metadata.note   |
      | a metadata value that is a number      | metadata.order  |
      | a metadata value with a NUL character  | metadata.note   |
      | 21 metadata keys                       | metadata        |
      | metadata that is a list                | metadata        |

  Scenario Outline: A bad metadata filter is refused, naming it
    When I list my executions with the query "<query>"
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the message names "<names>"

    Examples:
      | query                                       | names             |
      | metadata.my%20key=acme                      | metadata.my key   |
      | metadata.customer=acme&metadata.customer=xy | metadata.customer |
      | metadata=acme                               | metadata          |
      | metadata[customer=acme                      | metadata[customer |

  Scenario: Cancelling by metadata stops exactly the matching executions, running and waiting
    Given every worker is busy, half with the metadata customer=acme and half with customer=globex
    And my executions waiting in the queue with the metadata
      | metadata        | count |
      | customer=acme   | 3     |
      | customer=globex | 2     |
      | (none)          | 1     |
    And another owner "initech" has 2 executions with the metadata customer=acme
    When I cancel my executions with the metadata customer=acme
    Then the answer counts and names every one of my unfinished executions with customer=acme
    And exactly those are cancelled, and the crews of the running ones stop within 2 seconds
    And none of my other executions is cancelled, and the running ones still run
    And none of the other owner's executions is cancelled

  Scenario: An empty filter is refused; cancelling everything takes saying so
    Given every worker is busy with a long execution
    And 2 executions of the graph waiting in the queue
    And another owner "initech" has 2 executions with the metadata customer=acme
    When I cancel my executions with the filter {}
    Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
    And the message names "all: true"
    And nothing was written
    When I cancel my executions with the filter {"all": true}
    Then every unfinished execution of mine is cancelled
    And none of the other owner's executions is cancelled

  Scenario: A bulk cancel takes at most its limit; calling again cancels the rest
    Given every worker is busy with a long execution
    And my executions waiting in the queue with the metadata
      | metadata      | count |
      | customer=acme | 5     |
    When I cancel my executions with the metadata customer=acme, 2 per call, until none are left
    Then the calls cancelled 2, 2 and 1, and only the last said there were no more
    And all 5 of them are cancelled
