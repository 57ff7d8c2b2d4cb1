"""Errors in OpenAI's JSON shape, for every route and for whatever FastAPI or a route raises.

`error(...)` builds one response; `install_error_handlers(app)` makes validation failures, HTTP errors
and crashes answer in the same shape, so a client never sees FastAPI's `{"detail": ...}` or an HTML 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


def error(status: int, message: str, kind: str = "invalid_request_error",
          code: str | None = None) -> JSONResponse:
    """The OpenAI error shape: {"error": {"message", "type", "code"}}."""
    return JSONResponse({"error": {"message": message, "type": kind, "code": code or str(status)}},
                        status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer invalid requests (400), HTTP errors (404, 405, ...) and crashes (500) with `error(...)`."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = "request body is not valid JSON" if first.get("type") == "json_invalid" else first["msg"]
        return error(400, f"{where}: {message}" if where and first.get("type") != "json_invalid" else message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # FastAPI could not decode the body at all (e.g. invalid UTF-8)
            return error(400, "request body is not valid JSON (UTF-8 encoded)")
        return error(exc.status_code, str(exc.detail),
                     "not_found_error" if exc.status_code == 404 else "api_error")

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception):
        return error(500, f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], "server_error")
