"""Public links and QR codes do not trust the Host header once ``COUNTYZERO_PUBLIC_URL`` is set (docs/security.md).

A retirement certificate's page and PDF name the certificate's public address and carry it in a QR code; a
label certificate names its verification page. With the setting, a request with a forged ``Host`` gets exactly
what an honest one gets, on the setting's address. Without it the address is the request's (today's behaviour,
which is why production must set it: docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.responses import Response as FastAPIResponse
from pydantic import ValidationError

from countyzero.settings import Settings
from countyzero.web import label_routes, ledger_routes
from countyzero.web.ledger_routes import qr_svg
from tests.security.world import OWN, World, make_world

PUBLIC = "https://zero.baoting.gov.cn"
FORGED = {"host": "evil.example"}


@pytest.fixture(scope="module")
def rendered() -> Iterator[list[str]]:
    """The HTML of every PDF the routes render (the PDF itself is a stub here)."""
    pages: list[str] = []

    def capture(html: str, filename: str) -> FastAPIResponse:
        pages.append(html)
        return FastAPIResponse(b"%PDF-1.7 stub", media_type="application/pdf")

    with pytest.MonkeyPatch.context() as patch:
        for module in (ledger_routes, label_routes):
            patch.setattr(module, "_pdf", capture)
        yield pages


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, rendered: list[str]) -> Iterator[World]:
    with make_world(tmp_path_factory.mktemp("public-url"), kinds=("credits", "label"), public_url=PUBLIC + "/") as made:
        yield made


@pytest.fixture(scope="module")
def unset_world(tmp_path_factory: pytest.TempPathFactory, rendered: list[str]) -> Iterator[World]:
    with make_world(tmp_path_factory.mktemp("no-public-url"), kinds=("credits",)) as made:
        yield made


def get(world: World, url: str, **headers: str) -> Any:
    response = world.client.get(url, headers=headers)
    assert response.status_code == 200, response.text[:300]
    return response


def test_a_forged_host_does_not_change_the_certificate_page_or_its_qr_code(world: World) -> None:
    certificate = world.certificate_ids[OWN]
    address = f"{PUBLIC}/credits/retirements/{certificate}"
    honest = get(world, f"/credits/retirements/{certificate}").text
    forged = get(world, f"/credits/retirements/{certificate}", **FORGED).text
    for page in (honest, forged):
        assert address in page and str(qr_svg(address)) in page
        assert "evil.example" not in page and "testserver" not in page
    assert str(qr_svg(f"http://evil.example/credits/retirements/{certificate}")) not in forged


def test_a_forged_host_does_not_change_the_certificate_pdf(world: World, rendered: list[str]) -> None:
    certificate = world.certificate_ids[OWN]
    address = f"{PUBLIC}/credits/retirements/{certificate}"
    rendered.clear()
    get(world, f"/credits/retirements/{certificate}/certificate.pdf", **FORGED)
    get(world, f"/credits/retirements/{certificate}/certificate.pdf")
    assert len(rendered) == 2 and rendered[0] == rendered[1]
    assert f"核验 Verify: {address}" in rendered[0] and str(qr_svg(address)) in rendered[0]
    assert "evil.example" not in rendered[0]


def test_a_label_names_its_public_verification_page(world: World, rendered: list[str]) -> None:
    """The label's QR code carries the label's own payload (never an address); its certificate names the
    verification page on the public address."""
    label = world.label_ids[OWN]
    honest = get(world, f"/verify/{label}").text
    forged = get(world, f"/verify/{label}", **FORGED).text
    assert "evil.example" not in forged
    assert honest.split("<svg", 1)[1].split("</svg>")[0] == forged.split("<svg", 1)[1].split("</svg>")[0]
    rendered.clear()
    get(world, f"/verify/{label}/certificate.pdf", **FORGED)
    assert f"核验 Verify: {PUBLIC}/verify/{label}" in rendered[0] and "evil.example" not in rendered[0]


def test_without_the_setting_the_address_is_the_requests(unset_world: World) -> None:
    """Today's behaviour, kept when COUNTYZERO_PUBLIC_URL is not set: the reason production must set it."""
    certificate = unset_world.certificate_ids[OWN]
    page = get(unset_world, f"/credits/retirements/{certificate}", host="zero.example").text
    assert f"http://zero.example/credits/retirements/{certificate}" in page


@pytest.mark.parametrize("value", ["zero.baoting.gov.cn", "ftp://zero.baoting.gov.cn", "https://",
                                   "https://zero.baoting.gov.cn/?x=1", "https://zero.baoting.gov.cn/#top",
                                   "https://user:pw@zero.baoting.gov.cn"])
def test_the_setting_must_be_an_http_address(value: str) -> None:
    with pytest.raises(ValidationError, match="COUNTYZERO_PUBLIC_URL must be an http"):
        Settings(public_url=value)


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTYZERO_PUBLIC_URL", "https://zero.baoting.gov.cn/carbon/")
    assert Settings().public_url == "https://zero.baoting.gov.cn/carbon"
    monkeypatch.setenv("COUNTYZERO_PUBLIC_URL", "")
    assert Settings().public_url is None
