"""Error pages: HTML for pages, the one JSON error shape under /api/."""

from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def error_response(status: int, message: str, code: str | None = None, **details):
    """The API's one error shape: {"error": {"status", "code", "message", "details"}}."""
    body = {
        "error": {
            "status": status,
            "code": code or TITLES.get(status, "error").lower().replace(" ", "_"),
            "message": message,
        }
    }
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you sent."),
        401: _("Please log in to see this page."),
        403: _("You do not have permission to do this."),
        404: _("The page you asked for does not exist."),
        405: _("This address does not accept that method."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
    }


def unauthorized():
    """Flask-Login's answer to an anonymous user: JSON 401 for the API, else the login page
    with a way back."""
    if wants_json():
        return error_response(401, _("Please log in to see this page."), "unauthorized")
    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def register(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        # No framing of our pages (clickjacking of the POST buttons), no type sniffing.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error):
        message = _("The form expired. Please reload the page and submit it again.")
        if wants_json():
            return error_response(400, message, "csrf_failed")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        message = _messages().get(status, error.description or "")
        if wants_json():
            return error_response(status, message)
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error")
        if wants_json():
            return error_response(500, _messages()[500])
        return render_template("error.html", status=500, message=_messages()[500]), 500
