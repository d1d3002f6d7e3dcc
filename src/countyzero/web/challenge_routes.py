"""API routes and pages of the Climate Challenge (气候挑战赛, docs/challenge.md, docs/platform.md).

``POST /api/v1/challenge/submissions`` (a submission file as JSON) → 201 with the stored evaluation against the
organisation's county plan; ``GET /api/v1/challenge/submissions[/{id}]``; ``GET /api/v1/challenge/ranking``.
Pages: ``/challenge`` (upload, entries, ranking) and ``/challenge/{id}`` (one evaluation and its place).
"""


from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.services import assessments, challenge
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError
from countyzero.web import charts
from countyzero.web.engine_routes import Kit, read_upload

ACCEPT = ".yaml,.yml,.json"


def _draws(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InputError("Monte Carlo draws must be a whole number ≥ 0", field="draws")
    return int(text)


def register(app: FastAPI, kit: Kit) -> None:
    settings = kit.settings

    # API ----------------------------------------------------------------------------------------------
    @app.post("/api/v1/challenge/submissions", status_code=status.HTTP_201_CREATED,
              summary="Evaluate a Climate Challenge entry against the county plan and store it")
    def api_submit(body: dict[str, Any], who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)], name: str = "", scenario: str | None = None,
                   draws: int | None = None, seed: int | None = None) -> dict[str, Any]:
        try:
            assessment = kit.write(session, lambda: challenge.submit(
                session, who, body, name=name, scenario=scenario, draws=draws, seed=seed))
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return kit.stored(assessment)

    @app.get("/api/v1/challenge/submissions", summary="The organisation's Climate Challenge entries")
    def api_list(who: Annotated[Principal, Depends(kit.api_principal)],
                 session: Annotated[Session, Depends(kit.db)]) -> list[dict[str, Any]]:
        return [{"id": a.id, "name": a.name, "created_at": a.created_at.isoformat(), "status": a.result["status"]}
                for a in assessments.listing(session, who, challenge.KIND)]

    @app.get("/api/v1/challenge/submissions/{assessment_id}", summary="One stored Climate Challenge evaluation")
    def api_get(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            return kit.stored(assessments.get(session, who, assessment_id, challenge.KIND))
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None

    @app.get("/api/v1/challenge/ranking", summary="The organisation's entries ranked on the rubric")
    def api_ranking(who: Annotated[Principal, Depends(kit.api_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            return challenge.ranking(session, who)
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None

    # pages --------------------------------------------------------------------------------------------
    def page(request: Request, who: Principal, session: Session, code: int = 200, **context: Any) -> HTMLResponse:
        return kit.render(request, "challenge.html", who, code=code,
                          items=assessments.listing(session, who, challenge.KIND),
                          ranking=challenge.ranking(session, who),
                          may_create=assessments.may_create(who.role, challenge.KIND), **context)

    @app.get("/challenge", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
              session: Annotated[Session, Depends(kit.db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        return page(request, who, session, a=None)

    @app.post("/challenge", include_in_schema=False)
    async def upload(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                     session: Annotated[Session, Depends(kit.db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        form = await request.form()
        try:
            kit.check_csrf(request, str(form.get("csrf") or ""))
            field = form.get("file")
            if not isinstance(field, UploadFile) or not field.filename:
                raise InputError("no file chosen", field="file")
            content = await field.read(settings.max_upload_bytes + 1)
            filename = Path(field.filename).name
            if len(content) > settings.max_upload_bytes:
                raise InputError(f"file larger than {settings.max_upload_bytes} bytes", file=filename)
            data = read_upload(filename, content, "measures", settings.limits)
            draws = _draws(str(form.get("draws") or ""))
            name = str(form.get("name") or "")
            assessment = kit.write(session, lambda: challenge.submit(session, who, data, name=name, draws=draws))
        except CountyZeroError as exc:
            code = 403 if isinstance(exc, PermissionError) else 422
            return page(request, who, session, code=code, a=None, problems=[str(exc)])
        finally:
            await form.close()
        return RedirectResponse(f"/challenge/{assessment.id}", status.HTTP_303_SEE_OTHER)

    @app.get("/challenge/{assessment_id}", response_class=HTMLResponse, include_in_schema=False)
    def detail(request: Request, assessment_id: int, who: Annotated[Principal | None, Depends(kit.page_principal)],
               session: Annotated[Session, Depends(kit.db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        try:
            found = assessments.get(session, who, assessment_id, challenge.KIND)
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)
        return page(request, who, session, a=found, r=found.result, figure=charts.challenge_abatement(found.result))
