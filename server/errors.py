"""Every error answers in one JSON shape:
``{"error": {"code", "message", "fields": [{"field", "reason"}]}, "request_id"}``.

An answer never carries SQL, constraint names or bound values: the
database's own refusals (IntegrityError, DataError) answer a plain 409 or
422, anything else a plain 500, and the log gets a traceback without the
database's text (``server.observability.safe_traceback``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinic.errors import AlreadyTaken, Forbidden, InvalidValue, NotAllowed, ValidationFailed
from clinic.visits.rules import MoveForbidden
from server.observability import logger, request_id_var, safe_traceback


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers


def unauthorized(message: str = "Log in again") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {"code": code, "message": message, "fields": fields or []},
        "request_id": request_id_var.get(),
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    # A key as sent may hold what no JSON answer carries (a lone surrogate).
    parts = [
        str(p).encode("utf-8", "backslashreplace").decode()
        for p in loc
        if p not in ("body", "query", "path")
    ]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.fields, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = [{"field": _location(e["loc"]), "reason": e["msg"]} for e in error.errors()]
        return error_response(422, "invalid", "Some values are not valid", fields)

    @app.exception_handler(ValidationFailed)
    async def invalid_values(_request: Request, error: ValidationFailed) -> JSONResponse:
        fields = [{"field": e.field, "reason": e.reason} for e in error.errors]
        return error_response(422, "invalid", "Some values are not valid", fields)

    @app.exception_handler(AlreadyTaken)
    async def taken(_request: Request, error: AlreadyTaken) -> JSONResponse:
        fields = [{"field": error.field, "reason": error.reason}]
        return error_response(409, "exists", error.reason, fields)

    @app.exception_handler(InvalidValue)
    async def invalid_value(_request: Request, error: InvalidValue) -> JSONResponse:
        fields = [{"field": error.field, "reason": error.reason}]
        return error_response(422, "invalid", "Some values are not valid", fields)

    @app.exception_handler(MoveForbidden)
    async def move_forbidden(_request: Request, error: MoveForbidden) -> JSONResponse:
        return error_response(403, "forbidden", str(error))

    @app.exception_handler(Forbidden)
    async def forbidden_here(_request: Request, error: Forbidden) -> JSONResponse:
        return error_response(403, "forbidden", str(error))

    @app.exception_handler(NotAllowed)
    async def not_allowed(_request: Request, error: NotAllowed) -> JSONResponse:
        return error_response(409, "not_allowed", str(error))

    @app.exception_handler(LookupError)
    async def missing(_request: Request, error: LookupError) -> JSONResponse:
        return error_response(404, "not_found", str(error).strip("'\""))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail))

    @app.exception_handler(IntegrityError)
    async def conflicting_row(_request: Request, error: IntegrityError) -> JSONResponse:
        _log_refused_by_database(error)
        return error_response(
            409,
            "conflict",
            "The change conflicts with data already on the server (a duplicate, or a row it "
            "needs that is gone); reload and try again",
        )

    @app.exception_handler(DataError)
    async def unfit_value(_request: Request, error: DataError) -> JSONResponse:
        _log_refused_by_database(error)
        return error_response(
            422,
            "invalid",
            "A value does not fit the server's database (too long, out of range, or text it "
            "cannot hold); check the values and try again",
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.error("unhandled error", extra={"fields": {"exception": safe_traceback(error)}})
        return error_response(500, "internal", "Something went wrong on the server; it is logged")


def _log_refused_by_database(error: DBAPIError) -> None:
    """A refusal the API's own checks should have made first: logged (with
    no SQL or values, see ``safe_traceback``) so that the check gets added."""
    logger.warning(
        "the database refused a change", extra={"fields": {"exception": safe_traceback(error)}}
    )
