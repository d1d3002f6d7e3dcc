"""API routes and pages of the 1.5 °C label workflow (docs/platform.md, "Labels"; docs/label-standard.md §8).

Applying, listing and reading are the generic engine routes (``/api/v1/labels``, ``/labels``, ``/labels/{id}``,
:mod:`countyzero.web.engine_routes`). Here: the steps after the application — ``POST /api/v1/labels/{id}/evidence``,
``/review``, ``/issue``, ``/renew``, ``/revoke`` and the page forms that do the same (CSRF-checked) — and the public
verification: ``GET /api/v1/labels/verify/{label_id}``, ``/verify/{label_id}`` and its certificate PDF.
"""


import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.lifestyle import IssuedLabel
from countyzero.lifestyle.registry import REVIEW_CRITERIA, REVIEW_DECISIONS, STEPS
from countyzero.services import assessments, labels
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError
from countyzero.store.models import Assessment
from countyzero.web.engine_routes import BY_PATH, Kit, _pdf


class EvidenceBody(BaseModel):
    document: str = Field(description="name of the evidence document")
    sha256: str = Field(description="SHA-256 of the document's content (64 hexadecimal characters)")


class ReviewBody(BaseModel):
    decision: str = Field(description="approve, request_changes or reject")
    note: str = Field(default="", description="the review's note (required to request changes or reject)")
    criteria: dict[str, str] = Field(default_factory=dict,
                                     description="a note per review criterion (footprint, study_statements, "
                                                 "evidence, independence)")


class RevokeBody(BaseModel):
    reason: str = Field(description="why the label is revoked (public)")


def view(assessment: Assessment, who: Principal | None) -> dict[str, Any]:
    """What the label pages show of an application: status, evidence, reviews and what the viewer may do now."""
    state = labels.status(assessment)
    role = who.role if who else ""
    return {"status": state, "evidence": labels.evidence(assessment),
            "reviews": (assessment.result.get("workflow") or {}).get("reviews") or [],
            "revoked": assessment.result.get("revoked"), "criteria": REVIEW_CRITERIA, "decisions": REVIEW_DECISIONS,
            "may_add_evidence": assessments.may_create(role, labels.KIND) and state in STEPS["add evidence"],
            "may_review": role in labels.REVIEWERS and state in STEPS["review"],
            "may_issue": role in labels.ISSUERS and state in STEPS["issue"],
            "renewals": assessment.result.get("renewals") or [],
            "may_renew": role in labels.RENEWERS and state in STEPS["renew"],
            "may_revoke": role in labels.REVOKERS and state in STEPS["revoke"]}


def qr(answer: dict[str, Any]) -> Markup:
    """The label's QR code as an inline SVG element (made by segno from the label's own payload)."""
    text = IssuedLabel.model_validate(answer["label"]).qr_svg(scale=3)
    return Markup(text[text.index("<svg"):])


def register(app: FastAPI, kit: Kit) -> None:
    settings = kit.settings
    kit.templates.env.globals["label_view"] = view
    kit.templates.env.globals["label_status"] = labels.status

    # API ----------------------------------------------------------------------------------------------
    def application(roles: frozenset[str], step: str) -> Callable[..., Assessment]:
        """A dependency: the caller's organisation's application (else 404) and the caller's role checked (else
        403) — before the body is validated, so that a refused role is told 403 whatever it sent."""
        def dependency(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                       session: Annotated[Session, Depends(kit.db)]) -> Assessment:
            try:
                found = assessments.get(session, who, assessment_id, labels.KIND)
                labels.require_role(who, roles, step)
            except CountyZeroError as exc:
                raise kit.service_error(exc) from None
            return found
        return dependency

    def api_step(session: Session, found: Assessment, step: Callable[[Assessment], object]) -> dict[str, Any]:
        try:
            kit.write(session, lambda: step(found))
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return kit.stored(found)

    @app.post("/api/v1/labels/{assessment_id}/evidence", summary="Attach an evidence document to an application")
    def api_evidence(found: Annotated[Assessment, Depends(application(labels.APPLICANTS, "add evidence to"))],
                     body: EvidenceBody, who: Annotated[Principal, Depends(kit.api_principal)],
                     session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        return api_step(session, found, lambda a: labels.add_evidence(
            session, who, a, document=body.document, sha256=body.sha256, today=date.today()))

    @app.post("/api/v1/labels/{assessment_id}/review", summary="A verifier's review: approve, request changes, reject")
    def api_review(found: Annotated[Assessment, Depends(application(labels.REVIEWERS, "review"))],
                   body: ReviewBody, who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        return api_step(session, found, lambda a: labels.review(
            session, who, a, decision=body.decision, note=body.note, criteria=body.criteria, today=date.today()))

    @app.post("/api/v1/labels/{assessment_id}/issue", summary="Issue the label of an approved application")
    def api_issue(found: Annotated[Assessment, Depends(application(labels.ISSUERS, "issue"))],
                  who: Annotated[Principal, Depends(kit.api_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        return api_step(session, found, lambda a: labels.issue(session, who, a, today=date.today()))

    @app.post("/api/v1/labels/{assessment_id}/renew",
              summary="Renew an issued or expired label: re-graded in the renewal year, a new validity period")
    def api_renew(found: Annotated[Assessment, Depends(application(labels.RENEWERS, "renew"))],
                  who: Annotated[Principal, Depends(kit.api_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        return api_step(session, found, lambda a: labels.renew(session, who, a, today=date.today()))

    @app.post("/api/v1/labels/{assessment_id}/revoke", summary="Revoke an issued label, with a public reason")
    def api_revoke(found: Annotated[Assessment, Depends(application(labels.REVOKERS, "revoke"))],
                   body: RevokeBody, who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        return api_step(session, found, lambda a: labels.revoke(
            session, who, a, reason=body.reason, today=date.today()))

    @app.get("/api/v1/labels/verify/{label_id}", summary="Public: whether a label id is valid (no login)")
    def api_verify(label_id: str, session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            return labels.verify(session, label_id)
        except NotFoundError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None

    # pages --------------------------------------------------------------------------------------------
    async def page_step(request: Request, who: Principal | None, session: Session, assessment_id: int,
                        roles: tuple[frozenset[str], str], step: Callable[[Assessment, Any], Any]) -> Response:
        """A step's form: CSRF, the application of the caller's organisation, the caller's role (``roles``: the
        step's roles and name, checked before the form's input is read), one transaction; errors shown."""
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        form = await request.form()
        try:
            kit.check_csrf(request, str(form.get("csrf") or ""))
            try:
                found = assessments.get(session, who, assessment_id, labels.KIND)
            except NotFoundError:
                return kit.render(request, "not_found.html", who, code=404)
            try:
                labels.require_role(who, *roles)
                arguments = await step_input(form)
                kit.write(session, lambda: step(found, arguments))
            except CountyZeroError as exc:
                session.refresh(found)
                return kit.render(request, "labels.html", who, code=403 if isinstance(exc, PermissionError) else 422,
                                  section=BY_PATH["labels"], a=found, r=found.result, figures={},
                                  problems=[str(exc)])
        finally:
            await form.close()
        return RedirectResponse(f"/labels/{found.id}", status.HTTP_303_SEE_OTHER)

    async def step_input(form: Any) -> dict[str, Any]:
        """The fields of the step forms in labels.html (an evidence file is read and hashed here)."""
        values: dict[str, Any] = {key: str(form.get(key) or "") for key in ("decision", "note", "reason")}
        values["criteria"] = {key: str(form.get(f"criterion_{key}") or "") for key in REVIEW_CRITERIA}
        field = form.get("evidence")
        if isinstance(field, UploadFile) and field.filename:
            content = await field.read(settings.max_upload_bytes + 1)
            filename = Path(field.filename).name
            if len(content) > settings.max_upload_bytes:
                raise InputError(f"file larger than {settings.max_upload_bytes} bytes", file=filename)
            values["document"], values["sha256"] = filename, hashlib.sha256(content).hexdigest()
        return values

    @app.post("/labels/{assessment_id}/evidence", include_in_schema=False)
    async def page_evidence(request: Request, assessment_id: int,
                            who: Annotated[Principal | None, Depends(kit.page_principal)],
                            session: Annotated[Session, Depends(kit.db)]) -> Response:
        def step(a: Assessment, f: dict[str, Any]) -> None:
            if "sha256" not in f:
                raise InputError("no file chosen", field="evidence")
            assert who is not None
            labels.add_evidence(session, who, a, document=f["document"], sha256=f["sha256"], today=date.today())
        return await page_step(request, who, session, assessment_id, (labels.APPLICANTS, "add evidence to"), step)

    @app.post("/labels/{assessment_id}/review", include_in_schema=False)
    async def page_review(request: Request, assessment_id: int,
                          who: Annotated[Principal | None, Depends(kit.page_principal)],
                          session: Annotated[Session, Depends(kit.db)]) -> Response:
        def step(a: Assessment, f: dict[str, Any]) -> None:
            assert who is not None
            labels.review(session, who, a, decision=f["decision"], note=f["note"], criteria=f["criteria"],
                          today=date.today())
        return await page_step(request, who, session, assessment_id, (labels.REVIEWERS, "review"), step)

    @app.post("/labels/{assessment_id}/issue", include_in_schema=False)
    async def page_issue(request: Request, assessment_id: int,
                         who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
        def step(a: Assessment, f: dict[str, Any]) -> None:
            assert who is not None
            labels.issue(session, who, a, today=date.today())
        return await page_step(request, who, session, assessment_id, (labels.ISSUERS, "issue"), step)

    @app.post("/labels/{assessment_id}/renew", include_in_schema=False)
    async def page_renew(request: Request, assessment_id: int,
                         who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
        def step(a: Assessment, f: dict[str, Any]) -> None:
            assert who is not None
            labels.renew(session, who, a, today=date.today())
        return await page_step(request, who, session, assessment_id, (labels.RENEWERS, "renew"), step)

    @app.post("/labels/{assessment_id}/revoke", include_in_schema=False)
    async def page_revoke(request: Request, assessment_id: int,
                          who: Annotated[Principal | None, Depends(kit.page_principal)],
                          session: Annotated[Session, Depends(kit.db)]) -> Response:
        def step(a: Assessment, f: dict[str, Any]) -> None:
            assert who is not None
            labels.revoke(session, who, a, reason=f["reason"], today=date.today())
        return await page_step(request, who, session, assessment_id, (labels.REVOKERS, "revoke"), step)

    @app.get("/verify", response_class=HTMLResponse, include_in_schema=False)
    def verify_form(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                    label_id: str = "") -> Response:
        if label_id.strip():
            return RedirectResponse(f"/verify/{label_id.strip()}", status.HTTP_303_SEE_OTHER)
        return kit.render(request, "verify.html", who, v=None, label_id="")

    @app.get("/verify/{label_id}", response_class=HTMLResponse, include_in_schema=False)
    def verify_page(request: Request, label_id: str, who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: anyone (no login) can check a label id and see what the label certifies — or its revocation."""
        try:
            answer = labels.verify(session, label_id)
        except NotFoundError:
            return kit.render(request, "verify.html", who, code=404, v=None, label_id=label_id, unknown=True)
        return kit.render(request, "verify.html", who, v=answer, label_id=label_id, qr=qr(answer))

    @app.get("/verify/{label_id}/certificate.pdf", include_in_schema=False)
    def certificate(request: Request, label_id: str, who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public, like the verification page: the certificate of a published label; none for a revoked label
        (410, the verification page says why)."""
        try:
            answer = labels.verify(session, label_id)
        except NotFoundError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None
        if answer["status"] == "revoked":
            return kit.render(request, "verify.html", who, code=status.HTTP_410_GONE, v=answer, label_id=label_id,
                              qr=qr(answer), no_certificate=True)
        page = f"/verify/{answer['label_id']}"  # absolute on COUNTYZERO_PUBLIC_URL (never the Host header)
        html = kit.templates.env.get_template("report_label.html").render(
            v=answer, qr=qr(answer), verify_url=kit.public_url(request, page) if settings.public_url else page)
        return _pdf(html, f"{answer['label_id']}.pdf")
