"""API routes and pages of the carbon-asset ledger (碳资产登记簿, issue 8; docs/platform.md, docs/credits.md).

API (bearer token): ``GET /api/v1/credits/ledger`` (the organisation's holdings, journal, certificates and the
reconciliation of its vintages); ``POST /api/v1/credits/ledger/issue`` → 201, ``/transfer`` → 200,
``/retire`` → 201 with the retirement certificate; ``GET /api/v1/credits/retirements/{id}`` (the organisation's
certificate). Each POST is one request doing one transaction (the act and its audit entry). Public, no login:
``/credits/retirements/{id}`` (verification page with QR code) and ``/credits/retirements/{id}/certificate.pdf``.
Pages: ``/ledger`` with the forms (CSRF) to issue, transfer and retire.
"""


import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.services import ledger
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError
from countyzero.web.engine_routes import Kit, _pdf


def reconciliation(session: Session, who: Principal, overview: dict[str, Any]) -> dict[str, Any]:
    """The ledger's reconciliation, showing only the vintages the organisation holds or held."""
    report = ledger.reconcile(session)
    mine = {(h["standard"], h["project"], h["vintage"]) for h in overview["holdings"]}
    return {"ok": report.ok, "events": report.events, "head_hash": report.head_hash,
            "vintages": [v for v in report.vintages if (v["standard"], v["project"], v["vintage"]) in mine]}


def qr_svg(text: str) -> Markup:
    """A QR code (ISO/IEC 18004, error correction M, by segno) of ``text`` as an inline SVG element."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="svg", scale=3, xmldecl=False)
    svg = buffer.getvalue().decode("utf-8")
    return Markup(svg[svg.index("<svg"):])


def _form_data(form: Any) -> dict[str, Any]:
    """A ledger form as a service request: the CSRF field dropped, a chosen ``holding`` (JSON of standard,
    project, vintage and account) spread into its fields."""
    data = {k: v for k, v in form.items() if k not in ("csrf", "holding", "holder_field")}
    if form.get("holding"):
        try:
            holding = json.loads(str(form.get("holding")))
            data.update({"standard": holding["standard"], "project": holding["project"],
                         "vintage": holding["vintage"], str(form.get("holder_field") or "account"): holding["account"]})
        except (ValueError, KeyError, TypeError):
            raise InputError("choose a holding from the list", field="holding") from None
    return data


def register(app: FastAPI, kit: Kit) -> None:
    def act(session: Session, change: Callable[[], Any]) -> Any:
        try:
            return kit.write(session, change)
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None

    def may(act: str, roles: frozenset[str]) -> Callable[..., Principal]:
        """The API caller, whose role is checked before the body is validated (a refused role: 403)."""
        return kit.caller(lambda who: ledger.require(who, roles, act))

    # API ----------------------------------------------------------------------------------------------
    @app.get("/api/v1/credits/ledger", summary="The organisation's credit holdings, journal and certificates")
    def api_ledger(who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        overview = ledger.overview(session, who)
        return {**overview, "reconciliation": reconciliation(session, who, overview)}

    @app.post("/api/v1/credits/ledger/issue", status_code=status.HTTP_201_CREATED,
              summary="Issue credits from a stored estimate (verifiers)")
    def api_issue(body: dict[str, Any], who: Annotated[Principal, Depends(may("issue", ledger.ISSUERS))],
                  session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        block = act(session, lambda: ledger.issue(session, who, body))
        return dict(block.to_dict())

    @app.post("/api/v1/credits/ledger/transfer", summary="Transfer held credits to another holder account")
    def api_transfer(body: dict[str, Any], who: Annotated[Principal, Depends(may("transfer", ledger.HOLDERS))],
                     session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        blocks = act(session, lambda: ledger.transfer(session, who, body))
        return {"blocks": [b.to_dict() for b in blocks]}

    @app.post("/api/v1/credits/ledger/retire", status_code=status.HTTP_201_CREATED,
              summary="Retire credits for a beneficiary → retirement certificate")
    def api_retire(body: dict[str, Any], who: Annotated[Principal, Depends(may("retire", ledger.HOLDERS))],
                   session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        cert = act(session, lambda: ledger.retire(session, who, body))
        return dict(cert.to_dict())

    @app.get("/api/v1/credits/retirements/{certificate_id}", summary="One of the organisation's certificates")
    def api_certificate(certificate_id: str, who: Annotated[Principal, Depends(kit.api_principal)],
                        session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            return ledger.certificate(session, certificate_id, who)
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None

    # pages --------------------------------------------------------------------------------------------
    def page(request: Request, who: Principal, session: Session, code: int = 200, **context: Any) -> HTMLResponse:
        overview = ledger.overview(session, who)
        return kit.render(request, "ledger.html", who, code=code, o=overview,
                          check=reconciliation(session, who, overview), estimates=ledger.estimates(session, who),
                          may_issue=who.role in ledger.ISSUERS, may_hold=who.role in ledger.HOLDERS, **context)

    @app.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
              session: Annotated[Session, Depends(kit.db)]) -> Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        return page(request, who, session)

    def form_route(name: str, roles: frozenset[str], run: Callable[[Session, Principal, dict[str, Any]], Any],
                   done: Callable[[Any], str]) -> None:
        async def submit(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            form = await kit.checked_form(request)
            try:
                ledger.require(who, roles, name)  # before the form is read: a refused role gets 403
                data = _form_data(form)
                result = kit.write(session, lambda: run(session, who, data))
            except CountyZeroError as exc:
                code = 403 if isinstance(exc, PermissionError) else 404 if isinstance(exc, NotFoundError) else 422
                return page(request, who, session, code=code, problems=[str(exc)], failed=name)
            return RedirectResponse(done(result), status.HTTP_303_SEE_OTHER)

        app.add_api_route(f"/ledger/{name}", submit, methods=["POST"], include_in_schema=False)

    form_route("issue", ledger.ISSUERS, ledger.issue, lambda _: "/ledger")
    form_route("transfer", ledger.HOLDERS, ledger.transfer, lambda _: "/ledger")
    form_route("retire", ledger.HOLDERS, ledger.retire, lambda cert: f"/credits/retirements/{cert.certificate}")

    def verification_url(request: Request, certificate_id: str) -> str:
        """The certificate's public page, as its QR code and its PDF name it (``COUNTYZERO_PUBLIC_URL``)."""
        return kit.public_url(request, f"/credits/retirements/{certificate_id}")

    @app.get("/credits/retirements/", response_class=HTMLResponse, include_in_schema=False)
    def lookup(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
               certificate_id: str = "") -> Response:
        """Public: the form that looks a certificate up (``/credits/retirements`` itself is a credits estimate's
        path, ``/credits/{id}``)."""
        if certificate_id.strip():
            return RedirectResponse(f"/credits/retirements/{certificate_id.strip()}", status.HTTP_303_SEE_OTHER)
        return kit.render(request, "retirement.html", who, c=None, certificate_id="")

    @app.get("/credits/retirements/{certificate_id}", response_class=HTMLResponse, include_in_schema=False)
    def public_certificate(request: Request, certificate_id: str,
                           who: Annotated[Principal | None, Depends(kit.page_principal)],
                           session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: anyone (no login) can check a retirement certificate."""
        try:
            cert = ledger.certificate(session, certificate_id)
        except NotFoundError:
            return kit.render(request, "retirement.html", who, code=404, c=None, certificate_id=certificate_id,
                              unknown=True)
        url = verification_url(request, cert["certificate"])
        return kit.render(request, "retirement.html", who, c=cert, certificate_id=cert["certificate"], url=url,
                          qr=qr_svg(url))

    @app.get("/credits/retirements/{certificate_id}/certificate.pdf", include_in_schema=False)
    def certificate_pdf(request: Request, certificate_id: str,
                        session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public, like the verification page: the bilingual retirement certificate as a PDF."""
        try:
            cert = ledger.certificate(session, certificate_id)
        except NotFoundError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None
        url = verification_url(request, cert["certificate"])
        html = kit.templates.env.get_template("report_retirement.html").render(c=cert, url=url, qr=qr_svg(url))
        return _pdf(html, f"{cert['certificate']}.pdf")
