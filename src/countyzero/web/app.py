"""The FastAPI application: ``create_app(settings)`` (tests pass their own settings).

One database engine per process, one session per request (a typed dependency), every write in one
transaction through the service layer. Pages use a signed session cookie with a CSRF token; the API uses
bearer tokens from ``POST /api/v1/auth/token`` and accepts no cookie. Access control, sessions, login
throttling and security headers: docs/security.md (``web/access.py`` classifies every route).
"""


import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from countyzero import __version__
from countyzero.core.errors import CountyZeroError, InputError
from countyzero.factors import default_library
from countyzero.services import accounts, assessments
from countyzero.services.accounts import Principal
from countyzero.services.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from countyzero.settings import Settings
from countyzero.store.db import (
    FAULT_MESSAGES,
    DatabaseUnavailable,
    make_engine,
    session_factory,
    storage_fault,
    upgrade,
)
from countyzero.web import challenge_routes, charts, engine_routes, label_routes, ledger_routes, limits
from countyzero.web.access import LoginGate, document_refusals
from countyzero.web.headers import SecurityHeaders, security_headers
from countyzero.web.i18n import COOKIE, LANGUAGES, pick_language, translate

HERE = Path(__file__).parent
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if migrate:
        upgrade(engine)
    factory = session_factory(engine)
    # No interactive docs page: FastAPI's loads its scripts from a CDN (the platform is offline) and inline.
    app = FastAPI(title="CountyZero API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    production = settings.environment == "production"
    app.state.settings = settings
    app.state.sessions = factory
    throttle = accounts.LoginThrottle(factory, settings.login_max_failures, settings.login_max_failures_per_address,
                                      settings.login_window_seconds)
    app.state.login_throttle = throttle
    app.add_middleware(LoginGate, routes=app.router.routes)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="countyzero_session",
                       max_age=settings.session_hours * 3600, same_site="lax", https_only=production)
    limits.install(app, settings)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def limit_api_bodies(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """API bodies larger than ``max_upload_bytes`` answer 413 before they are read (pages check per file)."""
        length = request.headers.get("content-length", "")
        if request.url.path.startswith("/api/") and length.isdigit() and int(length) > settings.max_upload_bytes:
            return JSONResponse({"detail": f"body larger than {settings.max_upload_bytes} bytes"},
                                status_code=status.HTTP_413_CONTENT_TOO_LARGE)
        return await call_next(request)
    app.add_middleware(SecurityHeaders, headers=security_headers(hsts_seconds=settings.hsts_seconds if production
                                                                  else None))
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["as_json"] = engine_routes.as_json
    templates.env.globals["sections"] = engine_routes.SECTIONS

    # dependencies -----------------------------------------------------------------------------------
    def db() -> Iterator[Session]:
        maker: sessionmaker[Session] = app.state.sessions
        with maker() as session:
            yield session

    def api_principal(token: Annotated[str | None, Depends(oauth2)],
                      session: Annotated[Session, Depends(db)]) -> Principal:
        if not token:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated",
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            return accounts.principal_from_token(session, token, settings.secret_key, settings.token_minutes * 60)
        except (AuthenticationError, NotFoundError):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or expired token",
                                headers={"WWW-Authenticate": "Bearer"}) from None

    def page_principal(request: Request, session: Annotated[Session, Depends(db)]) -> Principal | None:
        """The user of the page session, if it is still valid (not logged out since: see ``end_sessions``)."""
        user_id, generation = request.session.get("uid"), request.session.get("gen")
        if not isinstance(user_id, int) or not isinstance(generation, int):
            return None
        try:
            return accounts.principal_of_session(session, user_id, generation)
        except NotFoundError:
            request.session.clear()
            return None

    def client_address(request: Request) -> str:
        return request.client.host if request.client else ""

    def language(request: Request) -> str:
        return pick_language(request.cookies.get(COOKIE), request.headers.get("accept-language"))

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return str(token)

    def check_csrf(request: Request, token: str) -> None:
        expected = request.session.get("csrf")
        if not expected or not secrets.compare_digest(str(expected), token):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or wrong")

    def render(request: Request, name: str, who: Principal | None, code: int = 200, **context: Any) -> HTMLResponse:
        lang = language(request)
        return templates.TemplateResponse(request, name, {
            "who": who, "lang": lang, "other_lang": "en" if lang == "zh" else "zh",
            "t": lambda key: translate(key, lang), "csrf": csrf_token(request), "version": __version__, **context,
        }, status_code=code)

    def public_url(request: Request, path: str) -> str:
        """The absolute public address of ``path`` (for links and QR codes that leave the site): on
        ``COUNTYZERO_PUBLIC_URL`` when it is set — never on the request's Host header then — and otherwise on the
        request's base URL (which a client chooses: docs/operations.md asks production to set the setting)."""
        base = settings.public_url or str(request.base_url)
        return base.rstrip("/") + "/" + path.lstrip("/")

    def service_error(exc: CountyZeroError) -> HTTPException:
        if isinstance(exc, NotFoundError):
            return HTTPException(status.HTTP_404_NOT_FOUND, "not found")
        if isinstance(exc, PermissionDeniedError):
            return HTTPException(status.HTTP_403_FORBIDDEN, str(exc))
        if isinstance(exc, InputError):
            return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, {"message": exc.message, "row": exc.row,
                                                                         "field": exc.field})
        return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))

    # API --------------------------------------------------------------------------------------------
    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post("/api/v1/auth/token")
    def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()],
              session: Annotated[Session, Depends(db)]) -> dict[str, str]:
        try:
            who = accounts.authenticate(session, form.username, form.password,
                                        delay_seconds=settings.login_delay_seconds, throttle=throttle,
                                        address=client_address(request))
        except accounts.TooManyAttemptsError as exc:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                                headers={"Retry-After": str(exc.retry_after)}) from None
        except AuthenticationError:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password") from None
        return {"access_token": accounts.issue_token(session, who, settings.secret_key), "token_type": "bearer"}

    @app.post("/api/v1/auth/revoke", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
    def revoke(who: Annotated[Principal, Depends(api_principal)], session: Annotated[Session, Depends(db)]) -> None:
        """Revoke every bearer token of the caller (this one included) and end every page session of theirs: the
        same generation count as a page logout (``accounts.end_sessions``). A new token is had by logging in."""
        _write(session, lambda: accounts.end_sessions(session, who.user_id))

    def stored(assessment: Any) -> dict[str, Any]:
        return {"id": assessment.id, "kind": assessment.kind, "name": assessment.name,
                "created_at": assessment.created_at.isoformat(), "input_sha256": assessment.input_sha256,
                "software_version": assessment.software_version,
                "factor_set_version": assessment.factor_set_version, "result": assessment.result}

    chart_cache = charts.ChartCache(settings.chart_cache_entries)
    kit = engine_routes.Kit(
        settings=settings, templates=templates, db=db, api_principal=api_principal, page_principal=page_principal,
        render=render, check_csrf=check_csrf, service_error=service_error, stored=stored, write=_write,
        charts=chart_cache, public_url=public_url)
    inventory_writer = kit.caller(lambda who: assessments.require_writer(who, "inventory"))

    @app.post("/api/v1/inventories", status_code=status.HTTP_201_CREATED)
    def create_inventory(body: dict[str, Any], who: Annotated[Principal, Depends(inventory_writer)],
                         session: Annotated[Session, Depends(db)], name: str = "") -> dict[str, Any]:
        try:
            assessment = _write(session, lambda: assessments.create(
                session, who, "inventory", name or str(body.get("county", "")), body))
        except CountyZeroError as exc:
            raise service_error(exc) from None
        return stored(assessment)

    @app.get("/api/v1/inventories")
    def list_inventories(who: Annotated[Principal, Depends(api_principal)],
                         session: Annotated[Session, Depends(db)]) -> list[dict[str, Any]]:
        return [{"id": a.id, "name": a.name, "created_at": a.created_at.isoformat()}
                for a in assessments.listing(session, who, "inventory")]

    @app.get("/api/v1/inventories/{assessment_id}")
    def get_inventory(assessment_id: int, who: Annotated[Principal, Depends(api_principal)],
                      session: Annotated[Session, Depends(db)]) -> dict[str, Any]:
        try:
            return stored(assessments.get(session, who, assessment_id, "inventory"))
        except CountyZeroError as exc:
            raise service_error(exc) from None

    @app.get("/api/v1/factors/{factor_id}")
    def get_factor(factor_id: str) -> dict[str, Any]:
        try:
            return default_library().get(factor_id).model_dump(mode="json")
        except CountyZeroError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None

    # pages ------------------------------------------------------------------------------------------
    @app.get("/lang/{code}", include_in_schema=False)
    def switch_language(code: str, next: str = "/") -> Response:
        response = RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", 303)
        if code in LANGUAGES:
            response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
        return response

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, who: Annotated[Principal | None, Depends(page_principal)]) -> HTMLResponse:
        return render(request, "login.html", who)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, session: Annotated[Session, Depends(db)], email: Annotated[str, Form()],
              password: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(request, csrf)
        try:
            who = accounts.authenticate(session, email, password, delay_seconds=settings.login_delay_seconds,
                                        throttle=throttle, address=client_address(request))
        except accounts.TooManyAttemptsError as exc:
            page = render(request, "login.html", None, code=status.HTTP_429_TOO_MANY_REQUESTS, throttled=True)
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except AuthenticationError:
            return render(request, "login.html", None, code=401, failed=True)
        request.session.clear()  # a new session (and CSRF token) at login: no fixation
        request.session["uid"] = who.user_id
        request.session["gen"] = accounts.session_generation(session, who.user_id)
        return RedirectResponse("/", status.HTTP_303_SEE_OTHER)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, who: Annotated[Principal | None, Depends(page_principal)],
               session: Annotated[Session, Depends(db)], csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(request, csrf)
        if who is not None:  # every copy of this session cookie, the user's other sessions and tokens stop working
            _write(session, lambda: accounts.end_sessions(session, who.user_id))
        request.session.clear()
        return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


    def scenes(assessment: Any) -> Any:
        return engine_routes.scene_figure(chart_cache, assessment)

    def dashboard_context(session: Session, who: Principal) -> dict[str, Any]:
        """The dashboard: latest inventory by scene, latest roadmap (trajectories with targets, peak and net-zero
        years and their probabilities, wedges, MAC curves), counts. What it shows of a stored (immutable)
        assessment is computed once (``chart_cache``), so a request reads names and counts, not results."""
        inventories = assessments.listing(session, who, "inventory")
        latest = inventories[0] if inventories else None
        roadmap = assessments.latest(session, who, "scenario")
        kinds = assessments.counts(session, who)
        return {
            "inventories": inventories, "latest": latest,
            "inventory_view": chart_cache.get((latest.id, latest.input_sha256, "dashboard"), lambda: {
                "result": {k: latest.result[k] for k in DASHBOARD_INVENTORY}, "figure": scenes(latest)})
            if latest else None,
            "roadmap": roadmap,
            "roadmap_view": chart_cache.get((roadmap.id, roadmap.input_sha256, "dashboard"), lambda: {
                "scenarios": {sid: {k: s.get(k) for k in DASHBOARD_SCENARIO}
                              for sid, s in roadmap.result["scenarios"].items()},
                "figures": chart_cache.get((roadmap.id, roadmap.input_sha256, "figures"),
                                           lambda: engine_routes.figures(roadmap.kind, roadmap.result))})
            if roadmap else None,
            "counts": {sec.path: kinds.get(sec.kind, 0) for sec in engine_routes.SECTIONS},
            "may_publish": who.role in assessments.PUBLISHERS,
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, who: Annotated[Principal | None, Depends(page_principal)],
                  session: Annotated[Session, Depends(db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        return render(request, "dashboard.html", who, **dashboard_context(session, who))

    @app.post("/inventories", include_in_schema=False)
    async def upload_inventory(request: Request, who: Annotated[Principal | None, Depends(page_principal)],
                               session: Annotated[Session, Depends(db)], file: UploadFile | None = None,
                               csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "") -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        check_csrf(request, csrf)
        try:
            assessments.require_writer(who, "inventory")  # the role before the file is read
            if file is None or not file.filename:
                raise InputError("no file chosen", field="file")
            content = await file.read(settings.max_upload_bytes + 1)
            filename = Path(file.filename).name
            if len(content) > settings.max_upload_bytes:
                raise InputError(f"file larger than {settings.max_upload_bytes} bytes", file=filename)
            data = engine_routes.read_upload(filename, content, "activities", settings.limits)
            assessment = _write(session, lambda: assessments.create(
                session, who, "inventory", name or str(data.get("county", "")), data))
        except CountyZeroError as exc:
            code = 403 if isinstance(exc, PermissionError) else 422
            return render(request, "dashboard.html", who, code=code,
                          **{**dashboard_context(session, who), "problems": [str(exc)]})
        return RedirectResponse(f"/inventories/{assessment.id}", status.HTTP_303_SEE_OTHER)

    @app.get("/inventories/{assessment_id}", response_class=HTMLResponse, include_in_schema=False)
    def inventory_page(request: Request, assessment_id: int, who: Annotated[Principal | None, Depends(page_principal)],
                       session: Annotated[Session, Depends(db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        try:
            assessment = assessments.get(session, who, assessment_id, "inventory")
        except NotFoundError:
            return render(request, "not_found.html", who, code=404)
        return render(request, "inventory.html", who, a=assessment, r=assessment.result, figure=scenes(assessment))

    @app.get("/inventories/{assessment_id}/explain/{line_id}", response_class=HTMLResponse,
             include_in_schema=False)
    def explain_page(request: Request, assessment_id: int, line_id: str,
                     who: Annotated[Principal | None, Depends(page_principal)],
                     session: Annotated[Session, Depends(db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        try:
            assessment = assessments.get(session, who, assessment_id, "inventory")
        except NotFoundError:
            return render(request, "not_found.html", who, code=404)
        lines = [ln for ln in assessment.result["lines"] if ln["id"] == line_id]
        if not lines:
            return render(request, "not_found.html", who, code=404)
        steps = [s for s in assessment.result.get("trace", []) if s["line_id"] == line_id]
        return render(request, "explain.html", who, a=assessment, line=lines[0], steps=steps)

    engine_routes.register(app, kit)
    label_routes.register(app, kit)
    challenge_routes.register(app, kit)
    ledger_routes.register(app, kit)
    document_refusals(app.router.routes)

    @app.exception_handler(404)
    def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "not found"}, status_code=404)
        return render(request, "not_found.html", None, code=404)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(DatabaseUnavailable)
    def database_fault(request: Request, exc: Exception) -> Response:
        """A write the database cannot take (full, read-only, busy): 503 saying which; nothing was stored."""
        reason = exc.reason if isinstance(exc, DatabaseUnavailable) else storage_fault(exc)
        if reason is None:
            raise exc
        retry = {"Retry-After": str(settings.retry_after_seconds)} if reason == "busy" else {}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": FAULT_MESSAGES[reason]}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                                headers=retry)
        page = render(request, "unavailable.html", None, code=status.HTTP_503_SERVICE_UNAVAILABLE,
                      message=f"db_{reason.replace('-', '_')}")
        page.headers.update(retry)
        return page

    return app


T = TypeVar("T")
DASHBOARD_INVENTORY = ("year", "gross_tco2e", "removals_tco2e", "net_tco2e", "energy_co2_t")
DASHBOARD_SCENARIO = ("name_en", "name_zh", "peak_year", "net_zero_year", "p_peak_by_target", "p_net_zero_by_target",
                      "targets")
"""What the dashboard shows of the latest inventory's result and of each scenario of the latest roadmap."""


def _write(session: Session, change: Callable[[], T]) -> T:
    """Run ``change`` as one transaction: committed if it returns, rolled back (nothing written) if it raises."""
    try:
        result = change()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


