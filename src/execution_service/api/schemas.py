"""Request bodies of the HTTP API."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..config import get_settings
from ..priorities import Priority


class QueueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    timeout_seconds: float | None = Field(default=None, gt=0)
    queue_timeout_seconds: float | None = Field(default=None, gt=0)

    @field_validator("inputs")
    @classmethod
    def _inputs_fit(cls, value: dict[str, Any]) -> dict[str, Any]:
        limit = get_settings().max_inputs_bytes
        size = len(json.dumps(value, separators=(",", ":")).encode())
        if size > limit:
            raise ValueError(f"inputs are {size} bytes; at most {limit} are accepted")
        return value

    @field_validator("timeout_seconds", "queue_timeout_seconds")
    @classmethod
    def _timeout_fits(cls, value: float | None) -> float | None:
        limit = get_settings().max_timeout_seconds
        if value is not None and value > limit:
            raise ValueError(f"at most {limit:g} seconds are accepted")
        return value


class ExecutionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority
