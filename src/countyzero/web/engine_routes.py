"""API routes and pages of the engines beyond the inventory: buildings, finance, credits, roadmap, labels,
community and farms; PDF reports; the public label verification page.

Every engine follows one pattern: ``POST /api/v1/<resource>`` (the input document as JSON) → 201 with the
stored assessment; ``GET /api/v1/<resource>`` lists the organisation's; ``GET /api/v1/<resource>/{id}`` reads
one (another organisation's answers 404). Pages: ``/<section>`` lists and uploads, ``/<section>/{id}`` shows.
"""


import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.core.io import read_bytes
from countyzero.core.limits import InputLimits
from countyzero.services import assessments, labels
from countyzero.services.accounts import Principal
from countyzero.services.engines import plain
from countyzero.services.errors import NotFoundError
from countyzero.settings import Settings
from countyzero.store.models import Assessment
from countyzero.web import charts


@dataclass(frozen=True)
class Section:
    """One engine on the platform: its page path, assessment kind, API resource and input rows."""

    path: str
    kind: str
    api: str
    title: str
    rows: str
    accept: str = ".yaml,.yml,.json,.csv,.xlsx"


SECTIONS = (
    Section("buildings", "building", "buildings/assessments", "buildings", "items"),
    Section("finance", "finance", "finance/screenings", "finance", "rows", ".yaml,.yml,.json"),
    Section("credits", "credits", "credits/estimates", "credits", "monitoring", ".yaml,.yml,.json"),
    Section("roadmap", "scenario", "scenarios", "roadmap", "scenarios", ".yaml,.yml,.json"),
    Section("labels", "label", "labels", "labels", "lines", ".yaml,.yml,.json"),
    Section("communities", "community", "communities", "communities", "households"),
    Section("farms", "farm", "farms", "farms", "fields", ".yaml,.yml,.json"),
)
BY_PATH = {s.path: s for s in SECTIONS}


@dataclass(frozen=True)
class Kit:
    """What the routes need from the application factory (its dependencies and helpers)."""

    settings: Settings
    templates: Jinja2Templates
    db: Callable[..., Any]
    api_principal: Callable[..., Any]
    page_principal: Callable[..., Any]
    render: Callable[..., HTMLResponse]
    check_csrf: Callable[[Request, str], None]
    service_error: Callable[[CountyZeroError], HTTPException]
    stored: Callable[[Assessment], dict[str, Any]]
    write: Callable[..., Any]


def default_name(kind: str, data: dict[str, Any]) -> str:
    """A readable name for a stored assessment, from its input."""
    if not isinstance(data, dict):
        return kind
    if kind == "credits" and isinstance(data.get("project"), dict):
        return f"{default_name('project', data['project'])} · {data.get('standard', 'ccer')}"
    for key in ("building", "project", "community", "farm", "item"):
        value = data.get(key)
        if isinstance(value, dict) and value.get("name"):
            return str(value["name"])
        if isinstance(value, str) and value.strip():
            return value
    roadmap = data.get("roadmap")
    if isinstance(roadmap, dict) and roadmap.get("county"):
        return f"{roadmap['county']} roadmap"
    return str(data.get("name") or kind)


def read_upload(filename: str, content: bytes, rows_key: str, limits: InputLimits | None = None) -> dict[str, Any]:
    """A document (YAML, JSON, CSV, XLSX) as a JSON-safe dict; errors name the file, row and field."""
    data: dict[str, Any] = plain(read_bytes(filename, content, rows_key, limits=limits).data)
    return data


def building_from_ifc(ifc_name: str, ifc: bytes, mapping_name: str, mapping: bytes) -> dict[str, Any]:
    """The BOQ of an IFC model under a confirmed material mapping (``countyzero.buildings.ifc.boq_from_ifc``)."""
    from countyzero.buildings.ifc import boq_from_ifc

    with tempfile.TemporaryDirectory() as folder:
        ifc_path = Path(folder) / "model.ifc"
        mapping_path = Path(folder) / f"mapping{Path(mapping_name).suffix.lower() or '.yaml'}"
        ifc_path.write_bytes(ifc)
        mapping_path.write_bytes(mapping)
        try:
            document = boq_from_ifc(ifc_path, mapping_path)
        except InputError as exc:
            where = mapping_name if exc.file and "mapping" in str(exc.file) else ifc_name
            raise InputError(exc.message.replace(folder + "/", ""), file=where, row=exc.row, field=exc.field) from None
    data: dict[str, Any] = plain(document)
    return data


def roadmap_bundle(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON bundle of the pathways adapter from a county folder's uploaded files (by file name)."""
    roadmap_name = next((n for n in files if Path(n).stem == "roadmap"), None)
    if roadmap_name is None:
        raise InputError("upload roadmap.yaml with its inventory and scenario files", field="roadmap")
    roadmap = files[roadmap_name]
    by_name = {Path(n).name: d for n, d in files.items()}
    inventory_name = Path(str(roadmap.get("inventory", ""))).name
    if inventory_name not in by_name:
        raise InputError(f"the roadmap's inventory file {inventory_name!r} was not uploaded", file=roadmap_name,
                         field="inventory")
    listed = roadmap.get("scenarios") or []
    if not isinstance(listed, list):
        raise InputError("scenarios must be a list of scenario file names", file=roadmap_name, field="scenarios")
    scenarios = []
    for entry in listed:
        name = Path(str(entry)).name
        if name not in by_name:
            raise InputError(f"the roadmap's scenario file {name!r} was not uploaded", file=roadmap_name,
                             field="scenarios")
        scenarios.append(by_name[name])
    return {"roadmap": roadmap, "inventory": by_name[inventory_name], "scenarios": scenarios}


def register(app: FastAPI, kit: Kit) -> None:
    settings = kit.settings

    # API ----------------------------------------------------------------------------------------------
    def api_routes(section: Section) -> None:
        kind = section.kind

        def create(body: dict[str, Any], who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)], name: str = "") -> dict[str, Any]:
            label = name or default_name(kind, body)
            try:
                if kind == "label":
                    assessment = kit.write(session, lambda: labels.create(session, who, label, body))
                else:
                    assessment = kit.write(session, lambda: assessments.create(session, who, kind, label, body))
            except CountyZeroError as exc:
                raise kit.service_error(exc) from None
            return kit.stored(assessment)

        def listing(who: Annotated[Principal, Depends(kit.api_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> list[dict[str, Any]]:
            return [{"id": a.id, "name": a.name, "created_at": a.created_at.isoformat()}
                    for a in assessments.listing(session, who, kind)]

        def read(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                 session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
            try:
                return kit.stored(assessments.get(session, who, assessment_id, kind))
            except CountyZeroError as exc:
                raise kit.service_error(exc) from None

        base = f"/api/v1/{section.api}"
        app.add_api_route(base, create, methods=["POST"], status_code=status.HTTP_201_CREATED,
                          name=f"create_{kind}", summary=f"Run and store a {kind} assessment")
        app.add_api_route(base, listing, methods=["GET"], name=f"list_{kind}", summary=f"List {kind} assessments")
        app.add_api_route(base + "/{assessment_id}", read, methods=["GET"], name=f"get_{kind}",
                          summary=f"One stored {kind} assessment")

    for section in SECTIONS:
        api_routes(section)

    @app.get("/api/v1/buildings/assessments/{assessment_id}/lcax")
    def api_lcax(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                 session: Annotated[Session, Depends(kit.db)]) -> Response:
        try:
            assessment = assessments.get(session, who, assessment_id, "building")
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return _lcax_response(assessment)

    @app.post("/api/v1/labels/{assessment_id}/issue")
    def api_issue_label(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                        session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        try:
            assessment = assessments.get(session, who, assessment_id, "label")
            kit.write(session, lambda: labels.issue(session, who, assessment, today=date.today()))
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        return kit.stored(assessment)

    @app.get("/api/v1/labels/verify/{label_id}")
    def api_verify_label(label_id: str, session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
        """Public: whether a label id is valid (no login)."""
        try:
            return labels.verify(session, label_id)
        except NotFoundError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None

    # pages --------------------------------------------------------------------------------------------
    async def read_file(field: Any, name: str) -> tuple[str, bytes]:
        if not isinstance(field, UploadFile) or not field.filename:
            raise InputError("no file chosen", field=name)
        content = await field.read(settings.max_upload_bytes + 1)
        filename = Path(field.filename).name
        if len(content) > settings.max_upload_bytes:
            raise InputError(f"file larger than {settings.max_upload_bytes} bytes", file=filename)
        return filename, content

    async def page_input(section: Section, form: Any, who: Principal) -> dict[str, Any]:
        """The engine input of an upload form (see the forms in section.html)."""
        if section.path == "buildings" and isinstance(form.get("ifc"), UploadFile) and form.get("ifc").filename:
            ifc_name, ifc = await read_file(form.get("ifc"), "ifc")
            mapping_name, mapping = await read_file(form.get("mapping"), "mapping")
            return building_from_ifc(ifc_name, ifc, mapping_name, mapping)
        if section.path == "roadmap":
            documents = {}
            for field in form.getlist("file"):
                filename, content = await read_file(field, "file")
                documents[filename] = read_upload(filename, content, section.rows, settings.limits)
            return roadmap_bundle(documents)
        filename, content = await read_file(form.get("file"), "file")
        data = read_upload(filename, content, section.rows, settings.limits)
        if section.path == "credits":
            data = {"standard": str(form.get("standard") or "ccer"), "project": data}
            if form.get("price"):
                data["price"] = str(form.get("price"))
                if form.get("currency"):
                    data["currency"] = str(form.get("currency"))
        if section.path == "labels":
            evidence = form.get("evidence")
            if isinstance(evidence, UploadFile) and evidence.filename:
                ev_name, ev = await read_file(evidence, "evidence")
                listed = data.get("evidence") or []
                if not isinstance(listed, list):
                    raise InputError("evidence must be a list of documents", file=filename, field="evidence")
                data["evidence"] = [*listed, {"document": ev_name, "sha256": hashlib.sha256(ev).hexdigest()}]
            if form.get("issue"):
                data["issue"] = True
        return data

    def section_pages(section: Section) -> None:
        kind = section.kind

        def index(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            return kit.render(request, "section.html", who, section=section,
                              items=assessments.listing(session, who, kind),
                              may_create=assessments.may_create(who.role, kind))

        async def upload(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            form = await request.form()
            try:
                kit.check_csrf(request, str(form.get("csrf") or ""))
                data = await page_input(section, form, who)
                name = str(form.get("name") or "").strip() or default_name(kind, data)
                if kind == "label":
                    assessment = kit.write(session, lambda: labels.create(session, who, name, data))
                else:
                    assessment = kit.write(session, lambda: assessments.create(session, who, kind, name, data))
            except CountyZeroError as exc:
                code = 403 if isinstance(exc, PermissionError) else 422
                return kit.render(request, "section.html", who, code=code, section=section,
                                  items=assessments.listing(session, who, kind),
                                  may_create=assessments.may_create(who.role, kind), problems=[str(exc)])
            finally:
                await form.close()
            return RedirectResponse(f"/{section.path}/{assessment.id}", status.HTTP_303_SEE_OTHER)

        def detail(request: Request, assessment_id: int,
                   who: Annotated[Principal | None, Depends(kit.page_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            try:
                assessment = assessments.get(session, who, assessment_id, kind)
            except NotFoundError:
                return kit.render(request, "not_found.html", who, code=404)
            return kit.render(request, f"{section.path}.html", who, section=section, a=assessment,
                              r=assessment.result, figures=_figures(kind, assessment.result))

        app.add_api_route(f"/{section.path}", index, methods=["GET"], response_class=HTMLResponse,
                          include_in_schema=False)
        app.add_api_route(f"/{section.path}", upload, methods=["POST"], include_in_schema=False)
        app.add_api_route(f"/{section.path}/{{assessment_id}}", detail, methods=["GET"], response_class=HTMLResponse,
                          include_in_schema=False)

    for section in SECTIONS:
        section_pages(section)

    def owned(request: Request, who: Principal | None, session: Session, assessment_id: int,
              kind: str) -> Assessment | Response:
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        try:
            return assessments.get(session, who, assessment_id, kind)
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)

    @app.get("/buildings/{assessment_id}/lcax", include_in_schema=False)
    def page_lcax(request: Request, assessment_id: int, who: Annotated[Principal | None, Depends(kit.page_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> Response:
        found = owned(request, who, session, assessment_id, "building")
        return found if isinstance(found, Response) else _lcax_response(found)

    @app.get("/buildings/{assessment_id}/report.pdf", include_in_schema=False)
    def building_pdf(request: Request, assessment_id: int,
                     who: Annotated[Principal | None, Depends(kit.page_principal)],
                     session: Annotated[Session, Depends(kit.db)]) -> Response:
        found = owned(request, who, session, assessment_id, "building")
        if isinstance(found, Response):
            return found
        html = kit.templates.env.get_template("report_building.html").render(
            a=found, r=found.result, figure=charts.building_modules(found.result))
        return _pdf(html, f"building-{found.id}.pdf")

    @app.get("/finance/{assessment_id}/report.pdf", include_in_schema=False)
    def finance_pdf(request: Request, assessment_id: int,
                    who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        found = owned(request, who, session, assessment_id, "finance")
        if isinstance(found, Response):
            return found
        html = kit.templates.env.get_template("report_finance.html").render(a=found, r=found.result)
        return _pdf(html, f"finance-{found.id}.pdf")

    @app.get("/verify/{label_id}/certificate.pdf", include_in_schema=False)
    def label_certificate(label_id: str, session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public, like the verification page: the certificate of a published label."""
        try:
            answer = labels.verify(session, label_id)
        except NotFoundError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from None
        html = kit.templates.env.get_template("report_label.html").render(v=answer, qr=_qr(answer))
        return _pdf(html, f"{answer['label_id']}.pdf")

    @app.get("/inventories/{assessment_id}/report.pdf", include_in_schema=False)
    def inventory_pdf(request: Request, assessment_id: int,
                      who: Annotated[Principal | None, Depends(kit.page_principal)],
                      session: Annotated[Session, Depends(kit.db)]) -> Response:
        from countyzero.inventory.model import InventoryResult
        from countyzero.reports.inventory import render_inventory_html

        found = owned(request, who, session, assessment_id, "inventory")
        if isinstance(found, Response):
            return found
        html = render_inventory_html(InventoryResult.model_validate(found.result))
        return _pdf(html, f"inventory-{found.id}.pdf")

    @app.get("/roadmap/{assessment_id}/report.pdf", include_in_schema=False)
    def roadmap_pdf(request: Request, assessment_id: int,
                    who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        from countyzero.pathways import RoadmapResult
        from countyzero.pathways.report import render_roadmap_html

        found = owned(request, who, session, assessment_id, "scenario")
        if isinstance(found, Response):
            return found
        return _pdf(render_roadmap_html(RoadmapResult.model_validate(found.result)), f"roadmap-{found.id}.pdf")

    @app.post("/labels/{assessment_id}/issue", include_in_schema=False)
    async def page_issue_label(request: Request, assessment_id: int,
                               who: Annotated[Principal | None, Depends(kit.page_principal)],
                               session: Annotated[Session, Depends(kit.db)]) -> Response:
        form = await request.form()
        await form.close()
        kit.check_csrf(request, str(form.get("csrf") or ""))
        found = owned(request, who, session, assessment_id, "label")
        if isinstance(found, Response):
            return found
        assert who is not None
        try:
            kit.write(session, lambda: labels.issue(session, who, found, today=date.today()))
        except CountyZeroError as exc:
            session.refresh(found)
            return kit.render(request, "labels.html", who, code=403 if isinstance(exc, PermissionError) else 422,
                              section=BY_PATH["labels"], a=found, r=found.result, figures={}, problems=[str(exc)])
        return RedirectResponse(f"/labels/{found.id}", status.HTTP_303_SEE_OTHER)

    @app.get("/verify", response_class=HTMLResponse, include_in_schema=False)
    def verify_form(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                    label_id: str = "") -> Response:
        if label_id.strip():
            return RedirectResponse(f"/verify/{label_id.strip()}", status.HTTP_303_SEE_OTHER)
        return kit.render(request, "verify.html", who, v=None, label_id="")

    @app.get("/verify/{label_id}", response_class=HTMLResponse, include_in_schema=False)
    def verify_page(request: Request, label_id: str, who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: anyone (no login) can check a label id and see what the label certifies."""
        try:
            answer = labels.verify(session, label_id)
        except NotFoundError:
            return kit.render(request, "verify.html", who, code=404, v=None, label_id=label_id, unknown=True)
        return kit.render(request, "verify.html", who, v=answer, label_id=label_id, qr=_qr(answer))


def _figures(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    if kind == "building":
        return {"modules": charts.building_modules(result)}
    if kind == "credits":
        return {"vintages": charts.credit_vintages(result)} if result.get("vintages") else {}
    if kind == "scenario":
        return {"trajectories": charts.trajectories(result),
                "wedges": [w for s in result["scenarios"].values() if (w := charts.wedges(s)) is not None]}
    if kind == "community":
        domains = result["by_domain_tco2e"]
        return {"domains": charts.bars(list(domains), list(domains.values()), unit="tCO2e",
                                       title="按领域 By domain")}
    if kind == "farm":
        sources = result["by_source"]
        return {"sources": charts.bars(list(sources), list(sources.values()), unit="tCO2e",
                                       title="按排放源 By source")}
    return {}


def _qr(answer: dict[str, Any]) -> Markup:
    """The label's QR code as an inline SVG element (made by segno from the label's own payload)."""
    from countyzero.lifestyle import IssuedLabel

    text = IssuedLabel.model_validate(answer["label"]).qr_svg(scale=3)
    return Markup(text[text.index("<svg"):])


def _lcax_response(assessment: Assessment) -> Response:
    from countyzero.buildings import BuildingResult
    from countyzero.buildings.lcax_export import to_lcax_json

    text = to_lcax_json(BuildingResult.model_validate(assessment.result))
    return Response(text, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="building-{assessment.id}.lcax.json"'})


def _pdf(html: str, filename: str) -> Response:
    from countyzero.reports.figures import html_to_pdf

    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def as_json(value: Any) -> str:
    """Pretty JSON for the pages' input/trace views."""
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)

