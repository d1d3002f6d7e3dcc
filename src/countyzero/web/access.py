"""Who may call each route: one declared policy, enforced at the door and checked by a generated test.

Every route of the application is classified here (``POLICY``): public, any member of an organisation, or
the roles the service layer allows — to write a kind of assessment (``assessments.WRITERS_BY_KIND``), to publish
(``assessments.PUBLISHERS``), to take a step of the label workflow (``labels.APPLICANTS``, ``REVIEWERS``,
``ISSUERS``, ``RENEWERS``, ``REVOKERS``), to score challenge entries (``challenge.JURY_ROLES``), to issue credits
(``ledger.ISSUERS``) or to transfer and retire them (``ledger.HOLDERS``). The sets are imported from the services,
never restated. A private route whose path names ``{assessment_id}`` (or ``{certificate_id}`` on the API) reads or
changes a resource of the caller's organisation; another organisation's answers 404, exactly like a missing one.

The application uses the policy in :class:`LoginGate`: a request without credentials to a route that is not
public is turned away before the route runs (API: 401 with ``WWW-Authenticate: Bearer``; pages: 303 to
``/login``). Routes missing from the policy are treated as members-only (fail closed), and
``tests/security/test_access_matrix.py`` fails until they are classified. The route itself still checks the
credentials and the service layer the role and the organisation (defence in depth).

To add a route: add its ``(method, path)`` to ``POLICY`` (or, for a new engine section, add the section to
``engine_routes.SECTIONS`` and its writers to ``assessments.WRITERS_BY_KIND``; its rows are generated).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from countyzero.services import challenge, labels, ledger
from countyzero.services.assessments import PUBLISHERS, WRITERS_BY_KIND
from countyzero.store.models import ROLES
from countyzero.web.engine_routes import SECTIONS


@dataclass(frozen=True)
class Access:
    """Who may call a route.

    ``roles`` is ``None`` for a public route (no login), otherwise the roles allowed (``ROLES``: every member).
    ``kind`` is the kind of assessment the route creates, or reads/changes when its path has ``{assessment_id}``
    (``None`` on a path with ``{assessment_id}``: any kind, e.g. publishing).
    """

    roles: frozenset[str] | None
    kind: str | None = None

    @property
    def public(self) -> bool:
        return self.roles is None


PUBLIC = Access(None)
MEMBERS = Access(frozenset(ROLES))
ANY_METHOD = "*"
"""The method of a mount (static files): every method reaches it."""


def member_of(kind: str) -> Access:
    """Any member may read the organisation's assessments of ``kind``."""
    return Access(frozenset(ROLES), kind)


def writers_of(kind: str) -> Access:
    """Only the roles that may create ``kind`` (docs/platform.md)."""
    return Access(WRITERS_BY_KIND[kind], kind)


def _rules() -> dict[tuple[str, str], Access]:
    rules = {
        # public: the API's description, health, login, language, label verification, factors, static files,
        # published results, the challenge gallery, retirement certificates
        ("GET", "/api/v1/openapi.json"): PUBLIC,
        ("GET", "/api/v1/health"): PUBLIC,
        ("POST", "/api/v1/auth/token"): PUBLIC,
        ("GET", "/api/v1/factors/{factor_id}"): PUBLIC,
        ("GET", "/api/v1/labels/verify/{label_id}"): PUBLIC,
        ("GET", "/api/v1/public"): PUBLIC,
        ("GET", "/api/v1/challenge/gallery"): PUBLIC,
        ("GET", "/verify"): PUBLIC,
        ("GET", "/verify/{label_id}"): PUBLIC,
        ("GET", "/verify/{label_id}/certificate.pdf"): PUBLIC,
        ("GET", "/public"): PUBLIC,
        ("GET", "/public/{organisation_id}/{section:path}/{assessment_id}"): PUBLIC,
        ("GET", "/public/{organisation_id}/{section:path}/{assessment_id}/report.pdf"): PUBLIC,
        ("GET", "/public/{organisation_id}/buildings/{assessment_id}/lcax"): PUBLIC,
        ("GET", "/challenge/gallery"): PUBLIC,
        ("GET", "/credits/retirements/"): PUBLIC,
        ("GET", "/credits/retirements/{certificate_id}"): PUBLIC,
        ("GET", "/credits/retirements/{certificate_id}/certificate.pdf"): PUBLIC,
        ("GET", "/lang/{code}"): PUBLIC,
        ("GET", "/login"): PUBLIC,
        ("POST", "/login"): PUBLIC,
        (ANY_METHOD, "/static"): PUBLIC,
        # members
        ("POST", "/logout"): MEMBERS,
        ("POST", "/api/v1/auth/revoke"): MEMBERS,  # the caller's own tokens and sessions
        ("GET", "/"): MEMBERS,
        ("GET", "/api/v1/inventories"): member_of("inventory"),
        ("GET", "/api/v1/inventories/{assessment_id}"): member_of("inventory"),
        ("POST", "/api/v1/inventories"): writers_of("inventory"),
        ("POST", "/inventories"): writers_of("inventory"),
        ("GET", "/inventories/{assessment_id}"): member_of("inventory"),
        ("GET", "/inventories/{assessment_id}/explain/{line_id}"): member_of("inventory"),
        ("GET", "/inventories/{assessment_id}/report.pdf"): member_of("inventory"),
        ("GET", "/api/v1/buildings/assessments/{assessment_id}/lcax"): member_of("building"),
        ("GET", "/buildings/{assessment_id}/lcax"): member_of("building"),
        ("GET", "/buildings/{assessment_id}/report.pdf"): member_of("building"),
        ("GET", "/finance/{assessment_id}/report.pdf"): member_of("finance"),
        ("GET", "/finance/appraisals/{assessment_id}/report.pdf"): member_of("appraisal"),
        ("GET", "/roadmap/{assessment_id}/report.pdf"): member_of("scenario"),
        # publishing (any kind but labels, which are published by issuing them)
        ("POST", "/api/v1/assessments/{assessment_id}/publish"): Access(PUBLISHERS),
        ("POST", "/api/v1/assessments/{assessment_id}/unpublish"): Access(PUBLISHERS),
        ("POST", "/assessments/{assessment_id}/publish"): Access(PUBLISHERS),
        # the label workflow after the application (services/labels.py)
        ("POST", "/api/v1/labels/{assessment_id}/evidence"): Access(labels.APPLICANTS, labels.KIND),
        ("POST", "/api/v1/labels/{assessment_id}/review"): Access(labels.REVIEWERS, labels.KIND),
        ("POST", "/api/v1/labels/{assessment_id}/issue"): Access(labels.ISSUERS, labels.KIND),
        ("POST", "/api/v1/labels/{assessment_id}/renew"): Access(labels.RENEWERS, labels.KIND),
        ("POST", "/api/v1/labels/{assessment_id}/revoke"): Access(labels.REVOKERS, labels.KIND),
        ("POST", "/labels/{assessment_id}/evidence"): Access(labels.APPLICANTS, labels.KIND),
        ("POST", "/labels/{assessment_id}/review"): Access(labels.REVIEWERS, labels.KIND),
        ("POST", "/labels/{assessment_id}/issue"): Access(labels.ISSUERS, labels.KIND),
        ("POST", "/labels/{assessment_id}/renew"): Access(labels.RENEWERS, labels.KIND),
        ("POST", "/labels/{assessment_id}/revoke"): Access(labels.REVOKERS, labels.KIND),
        # the Climate Challenge (services/challenge.py)
        ("POST", "/api/v1/challenge/submissions"): writers_of("challenge"),
        ("GET", "/api/v1/challenge/submissions"): member_of("challenge"),
        ("GET", "/api/v1/challenge/submissions/{assessment_id}"): member_of("challenge"),
        ("POST", "/api/v1/challenge/submissions/{assessment_id}/scores"): Access(challenge.JURY_ROLES, challenge.KIND),
        ("GET", "/api/v1/challenge/ranking"): member_of("challenge"),
        ("GET", "/challenge"): member_of("challenge"),
        ("POST", "/challenge"): writers_of("challenge"),
        ("GET", "/challenge/{assessment_id}"): member_of("challenge"),
        ("POST", "/challenge/{assessment_id}/scores"): Access(challenge.JURY_ROLES, challenge.KIND),
        # the carbon-asset ledger (services/ledger.py); its acts create no assessment (no kind)
        ("GET", "/api/v1/credits/ledger"): MEMBERS,
        ("POST", "/api/v1/credits/ledger/issue"): Access(ledger.ISSUERS),
        ("POST", "/api/v1/credits/ledger/transfer"): Access(ledger.HOLDERS),
        ("POST", "/api/v1/credits/ledger/retire"): Access(ledger.HOLDERS),
        ("GET", "/api/v1/credits/retirements/{certificate_id}"): MEMBERS,
        ("GET", "/ledger"): MEMBERS,
        ("POST", "/ledger/issue"): Access(ledger.ISSUERS),
        ("POST", "/ledger/transfer"): Access(ledger.HOLDERS),
        ("POST", "/ledger/retire"): Access(ledger.HOLDERS),
    }
    for section in SECTIONS:  # the engine sections' generic routes (engine_routes.register)
        api, page = f"/api/v1/{section.api}", f"/{section.path}"
        rules[("POST", api)] = rules[("POST", page)] = writers_of(section.kind)
        for path in (api, api + "/{assessment_id}", page, page + "/{assessment_id}"):
            rules[("GET", path)] = member_of(section.kind)
    return rules


POLICY: dict[tuple[str, str], Access] = _rules()


def route_keys(route: BaseRoute) -> list[tuple[str, str]]:
    """The ``(method, path)`` keys of a route in ``POLICY`` (HEAD goes with GET)."""
    path = getattr(route, "path", "")
    if isinstance(route, Mount):
        return [(ANY_METHOD, path)]
    methods = getattr(route, "methods", None) or {"GET"}
    return [(method, path) for method in sorted(methods) if method != "HEAD"]


def unclassified(routes: list[BaseRoute]) -> list[tuple[str, str]]:
    """Routes of an application that ``POLICY`` does not classify."""
    return [key for route in routes for key in route_keys(route) if key not in POLICY]


def access_of(route: BaseRoute, method: str) -> Access:
    """The policy of ``route`` for ``method``; members-only when the route is not classified (fail closed)."""
    if isinstance(route, Mount):
        return POLICY.get((ANY_METHOD, route.path), MEMBERS)
    return POLICY.get(("GET" if method == "HEAD" else method, getattr(route, "path", "")), MEMBERS)


PROBLEM = {"application/json": {"schema": {
    "type": "object", "required": ["detail"], "title": "Problem",
    "properties": {"detail": {"description": "what is wrong: a message, or the field, row and message"}}}}}


def refusals(method: str, path: str, access: Access) -> dict[int, str]:
    """The 4xx answers a route may give under its policy (documented in the OpenAPI description)."""
    answers: dict[int, str] = {}
    if method in ("POST", "PUT", "PATCH"):
        answers[400] = "the request is not understood"
        answers[413] = "body larger than COUNTYZERO_MAX_UPLOAD_BYTES"
        answers[422] = "bad input: the problem names the field (and row)"
    if not access.public:
        answers[401] = "no, an invalid or an expired bearer token"
    if access.roles is not None and access.roles != MEMBERS.roles:
        answers[403] = "the caller's role may not do this"
    if "{" in path:
        answers[404] = "not found (another organisation's resource answers the same)"
    if path == "/api/v1/auth/token":
        answers[401] = "wrong email or password"
        answers[429] = "too many failed logins; see Retry-After"
    return answers


def document_refusals(routes: list[BaseRoute]) -> None:
    """Declare each API route's possible refusals (:func:`refusals`) in its OpenAPI responses."""
    for route in routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        for method in route.methods or ():
            for code, description in refusals(method, route.path, access_of(route, method)).items():
                route.responses.setdefault(code, {"description": description, "content": PROBLEM})


class LoginGate:
    """ASGI middleware: no credentials, no entry to a route that is not public (see the module docstring).

    Credentials are a bearer token on the API (a session cookie alone never calls the API) and a page session
    with a user on pages; whether they are valid is checked by the route's dependency. Needs the session
    middleware outside it.
    """

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _access(self, scope: Scope) -> Access | None:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return access_of(route, scope["method"])
        return None  # no route: the router answers 404 or 405

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            access = self._access(scope)
            if access is not None and not access.public:
                connection = HTTPConnection(scope)
                if scope["path"].startswith("/api/"):
                    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
                    if scheme.lower() != "bearer" or not credentials.strip():
                        await JSONResponse({"detail": "not authenticated"}, status_code=401,
                                           headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
                        return
                elif connection.session.get("uid") is None:
                    await RedirectResponse("/login", status_code=303)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
