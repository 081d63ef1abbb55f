Feature: Usage and budgets: what a crew's model calls used, what they cost, and a limit that stops them
  As a team paying for every model call our crews make
  I want to see each execution's tokens and estimated cost, and to cap what it may spend
  So that a runaway crew is stopped before it costs more than we allow

  The stacks price the crews' model at 2 EUR per million prompt tokens and 10 EUR per
  million completion tokens, so a call of 100 prompt and 20 completion tokens costs 0.0004 EUR.

  Rule: Usage is counted per model call, and shown wherever the execution is

    Scenario: Usage adds up over the tasks, with its estimated cost, in every view
      Given a crew of 2 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens
      When I queue an execution of the graph
      Then the execution completes within 15 seconds
      And its usage is 600 prompt, 120 completion and 720 total tokens in 6 model calls
      And each task and each agent used 360 tokens in 3 model calls
      And its estimated cost is 0.0024 EUR
      And the history of its attempts shows 6 model calls of 120 tokens
      And the listing shows its usage as a total of 720 tokens
      And the queue statistics show at least 720 tokens used in the last minute

    Scenario: Usage counts every attempt together, each attempt's own in the history (the retry re-uses task 1: no call for it again)
      Given a crew of 2 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens, whose task 2 fails transiently at its call 2 on the first attempt
      When I queue an execution of the graph
      Then the execution completes within 15 seconds
      And it took 2 attempts
      And its usage is 700 prompt, 140 completion and 840 total tokens in 7 model calls
      And the history of its attempts shows 4, 3 model calls of 120 tokens

    Scenario: A model without a price has no estimated cost
      Given a crew of 1 tasks of 2 model calls each, every call using 100 prompt and 20 completion tokens, on a model without a price
      When I queue an execution of the graph
      Then the execution completes within 15 seconds
      And its usage is 200 prompt, 40 completion and 240 total tokens in 2 model calls
      And its usage has no estimated cost

  Rule: A budget stops the crew before the model call that would go past it

    Scenario Outline: A budget of <budget> stops the crew after <calls> model calls, keeping the outputs so far
      Given a crew of 3 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens, with a budget of <budget>
      When I queue an execution of the graph
      Then the execution fails within 15 seconds
      And its error is "BUDGET_EXCEEDED" in the category "permanent"
      And it took 1 attempt
      And its usage is <prompt> prompt, <completion> completion and <total> total tokens in <calls> model calls
      And the outputs of its first <kept> tasks are kept

      Examples:
        | budget                      | calls | prompt | completion | total | kept |
        | at most 700 total tokens    | 6     | 600    | 120        | 720   | 2    |
        | at most 4 model calls       | 4     | 400    | 80         | 480   | 1    |
        | at most 0.001 in cost       | 3     | 300    | 60         | 360   | 1    |
        | at most 50 total tokens     | 1     | 100    | 20         | 120   | 0    |

    Scenario: The budget counts every attempt together
      Given a crew of 2 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens, whose task 2 fails transiently at its call 2 on the first attempt and with a budget of at most 6 model calls
      When I queue an execution of the graph
      Then the execution fails within 15 seconds
      And its error is "BUDGET_EXCEEDED" in the category "permanent"
      And it took 2 attempts
      And its usage is 600 prompt, 120 completion and 720 total tokens in 6 model calls
      And the history of its attempts shows 4, 2 model calls of 120 tokens

    Scenario Outline: Of the graph's budget and the queue request's, the smaller wins
      Given a crew of 3 tasks of 3 model calls each, every call using 100 prompt and 20 completion tokens, with a budget of at most <graph's> model calls
      When I queue an execution of the graph with a budget of at most <request's> model calls
      Then the execution fails within 15 seconds
      And its error is "BUDGET_EXCEEDED" in the category "permanent"
      And its usage is <prompt> prompt, <completion> completion and <total> total tokens in <calls> model calls
      And the execution shows its budget as at most <calls> model calls

      Examples:
        | graph's | request's | calls | prompt | completion | total |
        | 5       | 2         | 2     | 200    | 40         | 240   |
        | 2       | 5         | 2     | 200    | 40         | 240   |

  Rule: A budget that cannot be kept is refused, naming the field

    Scenario Outline: A bad budget when queueing is refused and nothing is queued
      When I queue an execution of a crew on the <model> model with the budget <budget>
      Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
      And the message names "<names>"
      And nothing was written

      Examples:
        | model    | budget                        | names                   |
        | priced   | {"max_total_tokens": 0}       | budget.max_total_tokens |
        | priced   | {"max_model_calls": true}     | budget.max_model_calls  |
        | priced   | {"max_cost": "1"}             | budget.max_cost         |
        | priced   | {"max_calls": 3}              | budget.max_calls        |
        | unpriced | {"max_cost": 1}               | budget.max_cost         |

    Scenario Outline: A graph with a bad budget is refused and not created
      When I create a crew on the <model> model with the budget <budget>
      Then it is refused with HTTP 422 and the code "VALIDATION_ERROR"
      And the message names "<names>"
      And nothing was written

      Examples:
        | model    | budget                  | names                                  |
        | priced   | {"max_cost": -1}        | settings.budget.max_cost               |
        | unpriced | {"max_cost": 1}         | settings.budget.max_cost               |
        | unpriced | {"max_cost": 1}         | agents.0.llm.model ('scripted-unpriced') |
