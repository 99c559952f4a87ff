"""Request errors as one line per field, like the rest of wkp: {"error": "bsn: fails the eleven-test"}."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from models.problems import format_path


def answer_field_errors_plainly(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def field_errors(_request: Request, error: RequestValidationError) -> JSONResponse:
        # loc[0] is where the value came from (body, header); the rest is the field path.
        problems = [f"{format_path(e['loc'][1:])}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
        return JSONResponse(status_code=422, content={"error": "; ".join(problems)})
