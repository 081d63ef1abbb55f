"""Failures: their codes (``codes``), how exceptions map to them (``classify``), and
the removal of secrets from what is shown or stored (``redact``)."""
