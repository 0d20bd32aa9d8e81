"""One JSON error shape, {"error": {"code", "message", "fields"}}, for the API and for the middleware that answers
for it when the database is down."""


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}
