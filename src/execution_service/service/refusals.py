"""The service's refusals: each is answered to the caller as its HTTP ``status`` and
``code`` (see ``api/error_handlers.py``), with a message naming what was wrong."""

from __future__ import annotations

from execution_service.errors.codes import ErrorCode


class ServiceError(Exception):
    """A refusal of the service layer, answered to the caller as ``status``/``code``."""

    status = 400
    code: ErrorCode = ErrorCode.BAD_REQUEST

    def __init__(
        self, message: str, details: object = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class GraphNotFound(ServiceError):
    status = 404
    code = ErrorCode.GRAPH_NOT_FOUND


class ExecutionNotFound(ServiceError):
    status = 404
    code = ErrorCode.EXECUTION_NOT_FOUND


class ExecutionFinished(ServiceError):
    status = 409
    code = ErrorCode.EXECUTION_FINISHED


class InvalidRequest(ServiceError):
    status = 422
    code = ErrorCode.VALIDATION_ERROR


class BrokerUnavailable(ServiceError):
    status = 503
    code = ErrorCode.BROKER_UNAVAILABLE


class QueueLimitReached(ServiceError):
    status = 429
    code = ErrorCode.QUEUE_LIMIT_REACHED


class IdempotencyKeyReused(ServiceError):
    """The request's ``Idempotency-Key`` holds an earlier, different request."""

    status = 409
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class ExecutionNotQueued(ServiceError):
    status = 409
    code = ErrorCode.EXECUTION_NOT_QUEUED


class ExecutionNotFinished(ServiceError):
    """A rerun of an execution that has not finished yet."""

    status = 409
    code = ErrorCode.EXECUTION_NOT_FINISHED


class PriorityNotRaised(ServiceError):
    status = 409
    code = ErrorCode.PRIORITY_NOT_RAISED


class NotFound(ServiceError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Unauthenticated(ServiceError):
    status = 401
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(ServiceError):
    status = 403
    code = ErrorCode.FORBIDDEN
