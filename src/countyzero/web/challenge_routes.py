"""API routes and pages of the Climate Challenge (气候挑战赛, docs/challenge.md, docs/platform.md).

``POST /api/v1/challenge/submissions`` (a submission file as JSON) → 201 with the stored evaluation against the
organisation's county plan; ``GET /api/v1/challenge/submissions[/{id}]``; ``GET /api/v1/challenge/ranking``;
``POST /api/v1/challenge/submissions/{id}/scores`` (a juror's scores of the jury criteria); public
``GET /api/v1/challenge/gallery``. Pages: ``/challenge`` (upload, entries, ranking), ``/challenge/{id}`` (one
evaluation, its place, the jury's scores and the scoring form) and the public ``/challenge/gallery``.
"""


from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.services import assessments, challenge
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError
from countyzero.store.models import Assessment
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


class JuryScore(BaseModel):
    criterion: str = Field(description="a jury criterion of the rubric")
    score: float = Field(description="0 to the rubric's score_max")
    comment: str = ""


class JuryScoresBody(BaseModel):
    scores: list[JuryScore] = Field(description="the caller's scores of this entry (a new one replaces the last)")


def _jury_criteria() -> list[dict[str, Any]]:
    from countyzero.challenge.reader import read_rubric

    rubric, _ = read_rubric(challenge.RUBRIC)
    return [c.model_dump() | {"score_max": rubric.score_max} for c in rubric.criteria if c.kind == "jury"]


def _form_scores(form: Any) -> list[dict[str, Any]]:
    """The scoring form's fields ``score_<criterion>`` and ``comment_<criterion>`` (blank scores left out)."""
    rows = []
    for c in _jury_criteria():
        text = str(form.get(f"score_{c['id']}") or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"score {text!r} is not a number", row=c["id"], field="score") from None
        rows.append({"criterion": c["id"], "score": value, "comment": str(form.get(f"comment_{c['id']}") or "")})
    return rows


def register(app: FastAPI, kit: Kit) -> None:
    settings = kit.settings

    # API ----------------------------------------------------------------------------------------------
    submitter = kit.caller(lambda who: assessments.require_writer(who, challenge.KIND))

    @app.post("/api/v1/challenge/submissions", status_code=status.HTTP_201_CREATED,
              summary="Evaluate a Climate Challenge entry against the county plan and store it")
    def api_submit(body: dict[str, Any], who: Annotated[Principal, Depends(submitter)],
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

    def entry(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
              session: Annotated[Session, Depends(kit.db)]) -> Assessment:
        """A dependency: the caller's organisation's entry (else 404) that the caller may score (else 403) —
        before the body is validated, so that a refused caller is told 403 whatever it sent."""
        try:
            found = assessments.get(session, who, assessment_id, challenge.KIND)
            challenge.require_juror(who, found)
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return found

    @app.post("/api/v1/challenge/submissions/{assessment_id}/scores",
              summary="A juror's scores of an entry on the rubric's jury criteria")
    def api_score(found: Annotated[Assessment, Depends(entry)], body: JuryScoresBody,
                  who: Annotated[Principal, Depends(kit.api_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            kit.write(session, lambda: challenge.score(session, who, found, [s.model_dump() for s in body.scores],
                                                       today=date.today()))
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return kit.stored(found)

    @app.get("/api/v1/challenge/gallery", summary="Public: the accepted entries, by organisation (no login)")
    def api_gallery(session: Annotated[Session, Depends(kit.db)]) -> list[dict[str, Any]]:
        return challenge.gallery(session)

    # pages --------------------------------------------------------------------------------------------
    def page(request: Request, who: Principal, session: Session, code: int = 200, **context: Any) -> HTMLResponse:
        return kit.render(request, "challenge.html", who, code=code,
                          items=assessments.listing(session, who, challenge.KIND),
                          ranking=challenge.ranking(session, who), jury_criteria=_jury_criteria(),
                          may_create=assessments.may_create(who.role, challenge.KIND), **context)

    @app.get("/challenge/gallery", response_class=HTMLResponse, include_in_schema=False)
    def gallery(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public (no login): the accepted entries of every organisation's challenge."""
        return kit.render(request, "challenge_gallery.html", who, gallery=challenge.gallery(session))

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
            assessments.require_writer(who, challenge.KIND)  # before the file is read: a refused role gets 403
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
        return detail_page(request, who, session, found)

    def detail_page(request: Request, who: Principal, session: Session, found: Any, code: int = 200,
                    **context: Any) -> HTMLResponse:
        may_score = who.role in challenge.JURY_ROLES and found.created_by != who.user_id
        return page(request, who, session, code=code, a=found, r=found.result, may_score=may_score,
                    figure=charts.challenge_abatement(found.result), **context)

    @app.post("/challenge/{assessment_id}/scores", include_in_schema=False)
    async def score_page(request: Request, assessment_id: int,
                         who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        form = await kit.checked_form(request)
        try:
            found = assessments.get(session, who, assessment_id, challenge.KIND)
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)
        try:
            challenge.require_juror(who, found)  # before the scores are read: a refused caller gets 403
            rows = _form_scores(form)
            kit.write(session, lambda: challenge.score(session, who, found, rows, today=date.today()))
        except CountyZeroError as exc:
            session.refresh(found)
            return detail_page(request, who, session, found, code=403 if isinstance(exc, PermissionError) else 422,
                               problems=[str(exc)])
        return RedirectResponse(f"/challenge/{found.id}#jury", status.HTTP_303_SEE_OTHER)
