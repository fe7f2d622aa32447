"""The Flask application of the web view: routes, the parameters each takes, error pages,
security headers and the package's static files.

Read-only by construction: every route answers GET and HEAD only, and any other method gets
405 before a route runs; no route calls anything that appends an event. No URL reaches the file
system: the static files are read once, at start, from the package's ``static/`` directory into
a table looked up by exact name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from importlib import resources
from typing import Any

from flask import Flask, Response, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from cli.web import api, pages
from cli.web.links import Key, Links, page_key
from cli.web.params import HttpError, Params
from cli.web.state import WebLedger
from ledger.errors import IntegrityFailure, InvalidInput, LedgerError, NotFound

log = logging.getLogger("defledger.web")
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
         ".py": "text/plain; charset=utf-8"}  # fmt: skip
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
NAV = (("overview", "Overview"), ("definitions", "Definitions"), ("diff", "Diff"),
       ("events", "Events"), ("claims", "Claims"))  # fmt: skip
STATUS_TEXT = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
               409: "Conflict", 500: "Error", 503: "Unavailable"}  # fmt: skip

# Each route: rule, endpoint, view, the parameters it takes (name → repeatable).
PAGES: tuple[tuple[str, str, Callable[..., Any], dict[str, bool]], ...] = (
    ("/", "overview", pages.overview, {}),
    ("/jurisdictions/<code>", "jurisdiction", pages.overview, {}),
    ("/definitions", "definitions", pages.definitions, {}),
    ("/definitions/<name>", "definition", pages.definition, {}),
    (
        "/diff",
        "diff",
        pages.diff,
        {"a": False, "b": False, "fy": False, "jurisdiction": False, "chart": False},
    ),  # fmt: skip
    (
        "/number",
        "number",
        pages.number,
        {"jurisdiction": False, "fy": False, "definition": False, "tier": False},
    ),  # fmt: skip
    (
        "/events",
        "events",
        pages.events,
        {"after": False, "limit": False, **dict.fromkeys(pages.EVENT_FILTERS, False)},
    ),  # fmt: skip
    ("/events/<int:seq>", "event", pages.event, {}),
    ("/claims", "claims", pages.claims, {}),
)
APIS: tuple[tuple[str, str, Callable[..., Any], dict[str, bool]], ...] = (
    ("/api/v1/totals", "api_totals", api.totals, api.TOTALS),
    ("/api/v1/series", "api_series", api.series, {"jurisdiction": False}),
    ("/api/v1/trace", "api_trace", api.trace, api.MEASURE),
    ("/api/v1/definitions", "api_definitions", api.definitions, {}),
    ("/api/v1/definitions/<spec>", "api_definition", api.definition, {}),
    ("/api/v1/definitions/<name>/blame", "api_blame", api.blame, {}),
    (
        "/api/v1/diff",
        "api_diff",
        api.diff,
        {"a": False, "b": False, "fy": False, "jurisdiction": True, "tier": False},
    ),  # fmt: skip
    ("/api/v1/claims", "api_claims", api.claims, {}),
    ("/api/v1/events", "api_events", api.events, api.FEED),
    ("/api/v1/events/<int:seq>", "api_event", api.event, {}),
    ("/api/v1/events/<int:seq>/proof", "api_proof", api.proof, {}),
    ("/api/v1/verify", "api_verify", api.verify, {}),
)


def http_url(url: Any) -> str | None:
    """``url`` when it is an http(s) URL (a source's link), else None: a ``javascript:`` or
    ``data:`` URL recorded in a source is shown as text, never made a link."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


def load_static() -> dict[str, bytes]:
    """Every file of the package's ``static/`` directory (and ``static/vendor/``), by name,
    and ``report.css``, the diff report's own style (``ledger.reports.render_html``)."""
    from ledger.reports.render_html import CSS

    found: dict[str, bytes] = {"report.css": CSS.encode("utf-8")}
    root = resources.files("cli.web") / "static"
    for entry in root.iterdir():
        if entry.is_file():
            found[entry.name] = entry.read_bytes()
        elif entry.name == "vendor":
            for inner in entry.iterdir():
                if inner.is_file():
                    found[f"vendor/{inner.name}"] = inner.read_bytes()
    return found


def create_app(web: WebLedger, site: Mapping[Key, str] | None = None) -> Flask:
    """The web view over ``web``'s ledger; with ``site`` (page key → file path), links are the
    relative paths of a static site's files (``defledger site``)."""
    app = Flask(__name__, static_folder=None)
    app.jinja_env.autoescape = True
    app.url_map.merge_slashes = False  # /static//etc/passwd is a 404, not a redirect
    app.config["MAX_CONTENT_LENGTH"] = 0
    app.jinja_env.filters["http_url"] = http_url
    static = load_static()

    @app.before_request
    def only_reads() -> Response | None:
        if request.method not in ("GET", "HEAD"):
            return _error(405, f"{request.method} is not allowed: this web view is read-only")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.status_code == 405:
            response.headers["Allow"] = "GET, HEAD"
        return response

    def links(params: Params | None) -> Links:
        here = None
        if site is not None:
            here = site.get(page_key(request.endpoint or "", {**(request.view_args or {}),
                                                            **request.args}))  # fmt: skip
        return Links(params.get("as_of") if params and site is None else None, site, here)

    def page_view(view: Callable[..., Any], allowed: dict[str, bool], **kwargs: Any) -> str:
        params = Params(request.args, {**allowed, "as_of": False})
        if "code" in kwargs:
            kwargs["jurisdiction"] = kwargs.pop("code")
        template, context = view(web, params, **kwargs)
        here = links(params)
        hidden = [(k, v) for k, v in request.args.items(multi=True) if k != "as_of"]
        return render_template(
            template,
            **context,
            **here.helpers(),
            static_site=here.static_site,
            as_of=params.get("as_of"),
            hidden=hidden,
            nav=NAV,
            endpoint=request.endpoint,
        )

    def api_view(view: Callable[..., Any], allowed: dict[str, bool], **kwargs: Any) -> Response:
        params = Params(request.args, {**allowed, "as_of": False})
        if view is api.events:
            as_of = params.get("as_of")
            kwargs["next_url"] = partial(_next_url, as_of, request.args)
        return Response(view(web, params, **kwargs), mimetype="application/json")

    for rule, endpoint, view, allowed in PAGES:
        app.add_url_rule(rule, endpoint, partial(page_view, view, allowed), methods=["GET"])
    for rule, endpoint, view, allowed in APIS:
        app.add_url_rule(rule, endpoint, partial(api_view, view, allowed), methods=["GET"])

    @app.get("/api/v1/")
    def api_index() -> Response:
        from cli.output import to_json

        routes = {endpoint.removeprefix("api_"): rule for rule, endpoint, _, _ in APIS}
        return Response(to_json({"api": "defledger/v1", "routes": routes}) + "\n",
                        mimetype="application/json")  # fmt: skip

    @app.get("/checkpoint", endpoint="checkpoint")
    def checkpoint() -> Response:
        Params(request.args, {})
        with web.store() as store:
            found = web.checkpoint(store)
        if found is None:
            raise HttpError(404, "no checkpoint: the server was started without --checkpoint")
        return Response(found.text, mimetype="text/plain")

    @app.get("/static/<path:name>", endpoint="static")
    def static_file(name: str) -> Response:
        Params(request.args, {})
        body = static.get(name)
        if body is None:
            raise HttpError(404, "no such static file")
        kind = TYPES.get(name[name.rfind(".") :], "application/octet-stream")
        response = Response(body, content_type=kind)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    app.register_error_handler(Exception, _handle)
    return app


def _next_url(as_of: str | None, args: Any, **values: Any) -> str:
    kept = {k: v for k, v in args.items() if k not in ("after", "limit", "as_of")}
    if as_of:
        kept["as_of"] = as_of
    return url_for("api_events", _external=False, **kept, **values)


def _status(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, HttpError):
        return exc.status, exc.message
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        return code, exc.description or STATUS_TEXT.get(code, "Error")
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, InvalidInput):
        return 400, str(exc)
    if isinstance(exc, IntegrityFailure):
        return 500, f"integrity failure: {exc}"
    if isinstance(exc, LedgerError):
        return 503, str(exc)
    log.exception("unexpected error")
    return 500, "internal error (the server's log has the details)"


def _error(status: int, message: str) -> Response:
    from cli.output import to_json

    message = message.replace("\n", " ")
    if request.path.startswith("/api/"):
        body = to_json({"error": {"status": status, "message": message}}) + "\n"
        return Response(body, status=status, mimetype="application/json")
    html = render_template("error.html", status=status, title=STATUS_TEXT.get(status, "Error"),
                           message=message, static_site=False, nav=NAV,
                           url=Links().url, static=Links().static, as_of=None, hidden=[],
                           endpoint=None)  # fmt: skip
    return Response(html, status=status, mimetype="text/html")


def _handle(exc: Exception) -> Response:
    status, message = _status(exc)
    return _error(status, message)
