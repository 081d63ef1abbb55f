"""What the benchmark (``bench/``) and the acceptance suite (``support/``) share.

* ``scratch``: a run's own PostgreSQL database and Redis database number, labelled with
  their owner, and the sweep of what killed runs left behind;
* ``processes``: child processes in sessions of their own that die with their parent,
  and stopping a whole process group (a prefork worker's pool included);
* ``percentiles``: the one nearest-rank percentile both report figures with;
* ``http_client``: the one light keep-alive HTTP/1.1 client both talk to the API with.

It imports only the standard library, third-party libraries and ``execution_service``;
never ``support``, ``steps`` or ``bench`` (they import it), and nothing under ``src/``
imports it: the shipped package does not depend on its own test tooling.
"""
