"""API routes and pages of the engines beyond the inventory: buildings, finance (screenings, loan-book
portfolios, appraisals), credits, roadmap, labels, community and farms; PDF reports; publishing; the public
pages of published results. (The label workflow after the application and the public label verification:
:mod:`countyzero.web.label_routes`.)

Every engine follows one pattern: ``POST /api/v1/<resource>`` (the input document as JSON) → 201 with the
stored assessment; ``GET /api/v1/<resource>`` lists the organisation's; ``GET /api/v1/<resource>/{id}`` reads
one (another organisation's answers 404). Pages: ``/<section>`` lists and uploads, ``/<section>/{id}`` shows.
"""


import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from countyzero.core.errors import CountyZeroError, InputError
from countyzero.core.io import read_bytes
from countyzero.core.limits import InputLimits
from countyzero.services import assessments
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
    template: str = ""
    multiple: bool = False
    """The upload takes several files (a main document and the files it names)."""

    @property
    def page(self) -> str:
        return self.template or f"{self.path}.html"


SECTIONS = (
    Section("buildings", "building", "buildings/assessments", "buildings", "items"),
    Section("finance", "finance", "finance/screenings", "finance", "rows", ".yaml,.yml,.json", multiple=True),
    Section("finance/portfolios", "finance_portfolio", "finance/portfolios", "finance_portfolios", "loans",
            template="finance_portfolio.html", multiple=True),
    Section("finance/appraisals", "appraisal", "finance/appraisals", "finance_appraisals", "rows",
            ".yaml,.yml,.json", template="finance_appraisal.html", multiple=True),
    Section("credits", "credits", "credits/estimates", "credits", "monitoring", ".yaml,.yml,.json"),
    Section("roadmap", "scenario", "scenarios", "roadmap", "scenarios", ".yaml,.yml,.json", multiple=True),
    Section("labels", "label", "labels", "labels", "lines", ".yaml,.yml,.json"),
    Section("communities", "community", "communities", "communities", "households"),
    Section("farms", "farm", "farms", "farms", "fields", ".yaml,.yml,.json"),
)
BY_PATH = {s.path: s for s in SECTIONS}
BY_KIND = {s.kind: s for s in SECTIONS}
PUBLIC = {"inventories": "inventory", **{s.path: s.kind for s in SECTIONS if s.kind != "label"}}
"""Public page section → assessment kind: what a published assessment can be shown as (labels: ``/verify``)."""


def page_of(assessment: Assessment) -> str:
    """The page of a stored assessment on the platform."""
    if assessment.kind == "inventory":
        return f"/inventories/{assessment.id}"
    if assessment.kind in BY_KIND:
        return f"/{BY_KIND[assessment.kind].path}/{assessment.id}"
    return f"/{assessment.kind}/{assessment.id}"


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
    charts: charts.ChartCache
    public_url: Callable[[Request, str], str]
    """The absolute public address of a path: on ``COUNTYZERO_PUBLIC_URL`` when set, never on the Host header."""

    async def checked_form(self, request: Request) -> FormData:
        """A page form without files, read and closed, once its CSRF token is checked (403 otherwise)."""
        form = await request.form()
        await form.close()
        self.check_csrf(request, str(form.get("csrf") or ""))
        return form

    def caller(self, check: Callable[[Principal], None]) -> Callable[..., Principal]:
        """A dependency giving the API caller once ``check`` (a service's role check) lets it through: it runs
        before FastAPI validates the request's body, so that a refused role is told 403 whatever it sent."""
        def dependency(who: Annotated[Principal, Depends(self.api_principal)]) -> Principal:
            try:
                check(who)
            except CountyZeroError as exc:
                raise self.service_error(exc) from None
            return who
        return dependency


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
    if isinstance(data.get("loans"), list):
        return f"loan book · {len(data['loans'])} loans"
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


def finance_bundle(section: Section, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The finance adapters' input from uploaded files (by name): a loan book (the document with ``loans``) whose
    ``project`` entries name uploaded project files, or one project file; every other JSON document is a linked
    result its ``links`` may name (``files``)."""
    books = [n for n, d in files.items() if "loans" in d]
    projects = {Path(n).name: d for n, d in files.items() if isinstance(d.get("project"), dict)}
    linked = {Path(n).name: d for n, d in files.items() if n not in books and Path(n).name not in projects}
    if section.kind != "finance_portfolio":
        if len(projects) != 1:
            raise InputError("upload one project file (and the results its links name)", field="project")
        return {**next(iter(projects.values())), **({"files": linked} if linked else {})}
    if len(books) != 1:
        raise InputError("upload one loan book (a file with loans) with its project files", field="loans")
    book = files[books[0]]
    loans = []
    for index, loan in enumerate(book.get("loans") or []):
        if isinstance(loan, dict) and loan.get("project"):
            name = Path(str(loan["project"])).name
            if name not in projects:
                raise InputError(f"the loan's project file {name!r} was not uploaded", file=books[0],
                                 row=str(loan.get("id") or f"loans #{index + 1}"), field="project")
            loan = {**loan, "project": projects[name]}
        elif isinstance(loan, dict):
            loan = {k: v for k, v in loan.items() if k != "project"}
        loans.append(loan)
    return {**{k: v for k, v in book.items() if k != "loans"}, "loans": loans, **({"files": linked} if linked else {})}


def register(app: FastAPI, kit: Kit) -> None:
    settings = kit.settings

    # API ----------------------------------------------------------------------------------------------
    def api_routes(section: Section) -> None:
        kind = section.kind

        def create(body: dict[str, Any],
                   who: Annotated[Principal, Depends(kit.caller(lambda w: assessments.require_writer(w, kind)))],
                   session: Annotated[Session, Depends(kit.db)], name: str = "",
                   baseline: int | None = None) -> dict[str, Any]:
            label = name or default_name(kind, body)
            try:
                if baseline is not None:
                    body = assessments.with_baseline(session, who, kind, body, baseline)
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

    def api_publish(published: bool) -> Callable[..., dict[str, Any]]:
        def change(assessment_id: int, who: Annotated[Principal, Depends(kit.api_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> dict[str, Any]:
            try:
                assessment = assessments.get(session, who, assessment_id)
                kit.write(session, lambda: assessments.publish(session, who, assessment, published))
            except CountyZeroError as exc:
                raise kit.service_error(exc) from None
            return {**kit.stored(assessment), "published": assessment.published}
        return change

    for verb, flag in (("publish", True), ("unpublish", False)):
        app.add_api_route(f"/api/v1/assessments/{{assessment_id}}/{verb}", api_publish(flag), methods=["POST"],
                          name=f"{verb}_assessment", summary=f"{verb.capitalize()} one of the organisation's "
                          "assessments on the public pages (county_admin)")

    @app.get("/api/v1/public", summary="Public: organisations and their published assessments (no login)")
    def api_public(session: Annotated[Session, Depends(kit.db)]) -> list[dict[str, Any]]:
        return [{"organisation_id": org.id, "organisation": org.name, "published": [
            {"id": a.id, "kind": a.kind, "name": a.name, "page": _public_page(org.id, a)} for a in items]}
            for org, items in assessments.public_organisations(session, PUBLIC.values())]

    # pages --------------------------------------------------------------------------------------------
    async def read_file(field: Any, name: str) -> tuple[str, bytes]:
        if not isinstance(field, UploadFile) or not field.filename:
            raise InputError("no file chosen", field=name)
        content = await field.read(settings.max_upload_bytes + 1)
        filename = Path(field.filename).name
        if len(content) > settings.max_upload_bytes:
            raise InputError(f"file larger than {settings.max_upload_bytes} bytes", file=filename)
        return filename, content

    async def page_input(section: Section, form: Any, who: Principal, session: Session) -> dict[str, Any]:
        """The engine input of an upload form (see the forms in section.html)."""
        if section.path == "buildings" and isinstance(form.get("ifc"), UploadFile) and form.get("ifc").filename:
            ifc_name, ifc = await read_file(form.get("ifc"), "ifc")
            mapping_name, mapping = await read_file(form.get("mapping"), "mapping")
            return building_from_ifc(ifc_name, ifc, mapping_name, mapping)
        if section.multiple:
            documents = {}
            for field in form.getlist("file"):
                filename, content = await read_file(field, "file")
                documents[filename] = read_upload(filename, content, section.rows, settings.limits)
            if section.path == "roadmap":
                return roadmap_bundle(documents)
            data = finance_bundle(section, documents)
            if form.get("baseline"):
                data = assessments.with_baseline(session, who, section.kind, data,
                                                 _whole(str(form.get("baseline")), "baseline"))
            if form.get("date"):
                data["date"] = str(form.get("date"))
            return data
        filename, content = await read_file(form.get("file"), "file")
        data = read_upload(filename, content, section.rows, settings.limits)
        if section.path == "credits":
            data = {"standard": str(form.get("standard") or "ccer"), "project": data}
            if form.get("price"):
                data["price"] = str(form.get("price"))
                if form.get("currency"):
                    data["currency"] = str(form.get("currency"))
        return data

    def section_pages(section: Section) -> None:
        kind = section.kind

        def index(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                  session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            return kit.render(request, "section.html", who, section=section,
                              items=assessments.listing(session, who, kind),
                              may_create=assessments.may_create(who.role, kind),
                              may_publish=who.role in assessments.PUBLISHERS and kind in PUBLIC.values())

        async def upload(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                         session: Annotated[Session, Depends(kit.db)]) -> Response:
            if who is None:
                return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
            form = await request.form()
            try:
                kit.check_csrf(request, str(form.get("csrf") or ""))
                assessments.require_writer(who, kind)  # before the files are read: a refused role gets 403
                data = await page_input(section, form, who, session)
                name = str(form.get("name") or "").strip() or default_name(kind, data)
                assessment = kit.write(session, lambda: assessments.create(session, who, kind, name, data))
            except CountyZeroError as exc:
                code = 403 if isinstance(exc, PermissionError) else 422
                return kit.render(request, "section.html", who, code=code, section=section,
                                  items=assessments.listing(session, who, kind),
                                  may_create=assessments.may_create(who.role, kind), problems=[str(exc)],
                                  may_publish=who.role in assessments.PUBLISHERS and kind in PUBLIC.values())
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
            return kit.render(request, section.page, who, section=section, a=assessment, r=assessment.result,
                              figures=figures_of(assessment))

        app.add_api_route(f"/{section.path}", index, methods=["GET"], response_class=HTMLResponse,
                          include_in_schema=False)
        app.add_api_route(f"/{section.path}", upload, methods=["POST"], include_in_schema=False)
        app.add_api_route(f"/{section.path}/{{assessment_id}}", detail, methods=["GET"], response_class=HTMLResponse,
                          include_in_schema=False)

    def figures_of(assessment: Assessment) -> dict[str, Any]:
        """The charts of a stored (immutable) assessment, drawn once (cached by id and input SHA-256)."""
        return kit.charts.get((assessment.id, assessment.input_sha256, "figures"),
                              lambda: figures(assessment.kind, assessment.result))

    for section in sorted(SECTIONS, key=lambda s: -s.path.count("/")):  # /finance/portfolios before /finance/{id}
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

    def template_pdf(name: str, context: Callable[[Assessment], dict[str, Any]]) -> Callable[[Assessment], Response]:
        """A stored assessment through ``report_<name>.html`` (bilingual, PDF)."""
        def make(found: Assessment) -> Response:
            html = kit.templates.env.get_template(f"report_{name}.html").render(a=found, r=found.result,
                                                                                **context(found))
            return _pdf(html, f"{name}-{found.id}.pdf")
        return make

    def inventory_pdf(found: Assessment) -> Response:
        from countyzero.inventory.model import InventoryResult
        from countyzero.reports.inventory import render_inventory_html

        return _pdf(render_inventory_html(InventoryResult.model_validate(found.result)), f"inventory-{found.id}.pdf")

    def roadmap_pdf(found: Assessment) -> Response:
        from countyzero.pathways import RoadmapResult
        from countyzero.pathways.report import render_roadmap_html

        return _pdf(render_roadmap_html(RoadmapResult.model_validate(found.result)), f"roadmap-{found.id}.pdf")

    # the PDF report of each kind that has one, and the path of its pages: ``/<path>/{id}/report.pdf`` for the
    # organisation's members, ``/public/{organisation}/<path>/{id}/report.pdf`` once published
    pdfs: dict[str, tuple[str, Callable[[Assessment], Response]]] = {
        "inventory": ("inventories", inventory_pdf),
        "scenario": ("roadmap", roadmap_pdf),
        "building": ("buildings", template_pdf("building", lambda a: {"figure": charts.building_modules(a.result)})),
        "finance": ("finance", template_pdf("finance", lambda a: {})),
        "appraisal": ("finance/appraisals", template_pdf("appraisal", lambda a: {"figures": figures_of(a)})),
    }

    def member_pdf(kind: str, make: Callable[[Assessment], Response]) -> Callable[..., Response]:
        def report(request: Request, assessment_id: int, who: Annotated[Principal | None, Depends(kit.page_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> Response:
            found = owned(request, who, session, assessment_id, kind)
            return found if isinstance(found, Response) else make(found)
        return report

    for kind, (path, make) in pdfs.items():
        app.add_api_route(f"/{path}/{{assessment_id}}/report.pdf", member_pdf(kind, make), methods=["GET"],
                          name=f"{kind}_pdf", include_in_schema=False)

    @app.post("/assessments/{assessment_id}/publish", include_in_schema=False)
    async def page_publish(request: Request, assessment_id: int,
                           who: Annotated[Principal | None, Depends(kit.page_principal)],
                           session: Annotated[Session, Depends(kit.db)]) -> Response:
        form = await kit.checked_form(request)
        if who is None:
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        try:
            found = assessments.get(session, who, assessment_id)
            kit.write(session, lambda: assessments.publish(session, who, found, form.get("published") == "1"))
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)
        except CountyZeroError as exc:
            raise kit.service_error(exc) from None
        back = str(form.get("next") or "")
        return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else page_of(found),
                                status.HTTP_303_SEE_OTHER)

    @app.get("/public", response_class=HTMLResponse, include_in_schema=False)
    def public_index(request: Request, who: Annotated[Principal | None, Depends(kit.page_principal)],
                     session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: every organisation with published results, and those results (no login)."""
        listed = [(org, [(a, _public_page(org.id, a)) for a in items])
                  for org, items in assessments.public_organisations(session, PUBLIC.values())]
        return kit.render(request, "public.html", who, organisations=listed)

    def published(session: Session, organisation_id: int, section: str, assessment_id: int) -> Assessment:
        """A published assessment of ``section``; unpublished, unknown or another kind: :class:`NotFoundError`."""
        if section not in PUBLIC:
            raise NotFoundError("no such public section")
        return assessments.public_get(session, organisation_id, assessment_id, PUBLIC[section])

    # (the downloads first: the page's {section:path} would take ".../{id}" for a section)
    @app.get("/public/{organisation_id}/buildings/{assessment_id}/lcax", include_in_schema=False)
    def public_lcax(request: Request, organisation_id: int, assessment_id: int,
                    who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: a published building's LCAx file (no login)."""
        try:
            return _lcax_response(published(session, organisation_id, "buildings", assessment_id))
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)

    @app.get("/public/{organisation_id}/{section:path}/{assessment_id}/report.pdf", include_in_schema=False)
    def public_pdf(request: Request, organisation_id: int, section: str, assessment_id: int,
                   who: Annotated[Principal | None, Depends(kit.page_principal)],
                   session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: a published result's PDF report, for the kinds that have one (no login)."""
        try:
            found = published(session, organisation_id, section, assessment_id)
            if found.kind not in pdfs:
                raise NotFoundError("no report of this kind")
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)
        return pdfs[found.kind][1](found)

    @app.get("/public/{organisation_id}/{section:path}/{assessment_id}", response_class=HTMLResponse,
             include_in_schema=False)
    def public_item(request: Request, organisation_id: int, section: str, assessment_id: int,
                    who: Annotated[Principal | None, Depends(kit.page_principal)],
                    session: Annotated[Session, Depends(kit.db)]) -> Response:
        """Public: a published result, read-only; unpublished, unknown or another kind answer the same 404."""
        try:
            found = published(session, organisation_id, section, assessment_id)
        except NotFoundError:
            return kit.render(request, "not_found.html", who, code=404)
        organisation = assessments.organisation_name(session, organisation_id)
        base = f"/public/{organisation_id}/{section}"  # where its downloads are
        if section == "inventories":
            return kit.render(request, "public_item.html", who, page="inventory.html", a=found, r=found.result,
                              public=True, organisation=organisation, base=base,
                              figure=scene_figure(kit.charts, found))
        return kit.render(request, "public_item.html", who, page=BY_PATH[section].page, section=BY_PATH[section],
                          a=found, r=found.result, figures=figures_of(found), public=True, organisation=organisation,
                          base=base)


def figures(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """The charts of a result of ``kind`` (inline SVG by name)."""
    if kind == "building":
        return {"modules": charts.building_modules(result)}
    if kind == "credits":
        return {"vintages": charts.credit_vintages(result)} if result.get("vintages") else {}
    if kind == "scenario":
        return {"trajectories": charts.trajectories(result),
                "wedges": [w for s in result["scenarios"].values() if (w := charts.wedges(s)) is not None],
                "mac": [m for s in result["scenarios"].values() if (m := charts.mac_curve(s)) is not None]}
    if kind == "finance_portfolio":
        return {"ratios": charts.portfolio_ratios(result["ratios"])}
    if kind == "appraisal":
        return {"cashflows": charts.cashflows(result["appraisal"])}
    if kind == "community":
        domains = result["by_domain_tco2e"]
        return {"domains": charts.bars(list(domains), list(domains.values()), unit="tCO2e",
                                       title="按领域 By domain")}
    if kind == "farm":
        sources = result["by_source"]
        return {"sources": charts.bars(list(sources), list(sources.values()), unit="tCO2e",
                                       title="按排放源 By source")}
    return {}


def _public_page(organisation_id: int, assessment: Assessment) -> str:
    section = "inventories" if assessment.kind == "inventory" else BY_KIND[assessment.kind].path
    return f"/public/{organisation_id}/{section}/{assessment.id}"


def _whole(text: str, field: str) -> int:
    if not text.strip().isdigit():
        raise InputError("must be a whole number", field=field)
    return int(text)


def scene_figure(cache: charts.ChartCache, inventory: Assessment) -> Markup:
    """A stored inventory's net emissions by scene as an inline SVG (the inventory report's own chart), drawn
    once."""
    from countyzero.reports.inventory import scene_chart

    figure: Markup = cache.get((inventory.id, inventory.input_sha256, "scenes"),
                               lambda: scene_chart(inventory.result["by_scene"]))
    return figure


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

