"""crew-execution: an asynchronous execution service for CrewAI crews."""

__version__ = "0.1.0"
