"""Front-end files come from the app itself: vendor files installed by
scripts/install-assets.sh when present, the console's own CSS always."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "web_console" / "static" / "vendor"


def test_package_json_pins_exact_versions_and_has_a_lock():
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())

    for name, version in manifest["dependencies"].items():
        assert version[0].isdigit() and set(version) <= set("0123456789."), name
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_installed_vendor_files_are_linked_and_served(agent_client):
    assert (VENDOR / "bootstrap" / "bootstrap.rtl.min.css").is_file(), (
        "vendor files missing: run scripts/install-assets.sh"
    )

    html = agent_client.get("/tickets").get_data(as_text=True)
    links = [
        "/static/vendor/bootstrap/bootstrap.rtl.min.css",
        "/static/vendor/vazirmatn/Vazirmatn-font-face.css",
        "/static/console.css",
    ]
    for link in links:
        assert f'href="{link}"' in html
        assert agent_client.get(link).status_code == 200, link
    font = agent_client.get(
        "/static/vendor/vazirmatn/fonts/webfonts/Vazirmatn-Regular.woff2"
    )
    assert font.status_code == 200


def test_pages_render_without_vendor_files(app, client, users):
    from tests.web.conftest import login

    app.jinja_env.globals["vendor"] = {"bootstrap": False, "vazirmatn": False}
    login(client, "agent1")

    html = client.get("/tickets").get_data(as_text=True)

    assert "/static/vendor/" not in html
    assert 'href="/static/console.css"' in html
    assert "درخواست‌ها" in html


def test_no_page_loads_anything_from_another_host(agent_client):
    html = agent_client.get("/tickets").get_data(as_text=True)

    assert "http://" not in html and "https://" not in html and "//cdn" not in html
