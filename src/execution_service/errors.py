"""The error taxonomy: every failure of an execution gets a category and a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    CIRCUIT_OPEN = "circuit_open"
    INTERNAL = "internal"


@dataclass(frozen=True)
class ErrorInfo:
    """What users see of a failure: code, category, whether it may fix itself."""

    code: str
    category: Category
    retryable: bool
    message: str
    retry_after_seconds: float | None = None
    task: str | None = None


class ServiceError(Exception):
    """A refusal of the service layer, answered to the caller as ``status``/``code``."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class GraphNotFound(ServiceError):
    status = 404
    code = "GRAPH_NOT_FOUND"


class ExecutionNotFound(ServiceError):
    status = 404
    code = "EXECUTION_NOT_FOUND"


class ExecutionFinished(ServiceError):
    status = 409
    code = "EXECUTION_FINISHED"


class InvalidRequest(ServiceError):
    status = 422
    code = "VALIDATION_ERROR"


class BrokerUnavailable(ServiceError):
    status = 503
    code = "BROKER_UNAVAILABLE"


class CrewFailure(Exception):
    """Raised by a runner when a crew failed; carries the task it failed in."""

    def __init__(self, task: str | None, cause: BaseException) -> None:
        super().__init__(f"{task}: {cause}")
        self.task = task
        self.__cause__ = cause


def classify(exc: BaseException) -> ErrorInfo:
    """Turn an exception out of a crew into what users are told about it."""
    task = exc.task if isinstance(exc, CrewFailure) else None
    root = exc.__cause__ if isinstance(exc, CrewFailure) and exc.__cause__ else exc
    where = f" in {task}" if task else ""
    return ErrorInfo(
        code="CREW_FAILED",
        category=Category.PERMANENT,
        retryable=False,
        message=f"The crew failed{where}: {type(root).__name__}",
        task=task,
    )
