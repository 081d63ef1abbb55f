"""The caller of each ``/api/v1`` request: the principal its bearer key stands for.

``Authorization: Bearer <key>`` (a key from ``execution-service keys create``). No key,
or an unknown or revoked one: 401 ``UNAUTHENTICATED`` with ``WWW-Authenticate``. With
``EXEC_AUTH=disabled`` (a local SQLite service only) every caller is the owner ``local``.

A key seen recently is answered from memory without leaving the event loop; only a key
not seen for ``auth_cache_seconds`` is looked up, in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from execution_service.config import get_settings
from execution_service.service import access
from execution_service.service.access import LOCAL, Principal
from execution_service.service.refusals import Unauthenticated

REALM = 'Bearer realm="crew-execution"'

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key, made by the operator: execution-service keys create --owner NAME",
)


async def caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if get_settings().auth == "disabled":
        return LOCAL
    if credentials is None:
        raise Unauthenticated(
            "An API key is required: send it as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": REALM},
        )
    secret = credentials.credentials
    principal = access.recently_seen(secret)
    if principal is None:
        principal = await run_in_threadpool(access.authenticate, secret)
    if principal is None:
        raise Unauthenticated(
            "The API key is not valid: it is unknown or was revoked.",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    return principal


Caller = Annotated[Principal, Depends(caller)]
"""A route's parameter for the principal calling it."""
