"""/docs (Swagger UI) works offline: its files come from this service, and it renders every operation.

Headless Debian Chromium opens /docs on a real `iopgraph serve`; every request to another
origin is aborted (as on a machine without internet) and counted, and the page must still
render the API's operations with no failed request and no console error (issue 10, item 5).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from support.browser import ARGS, ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM
from support.journeys import under


def test_docs_assets_are_served_locally_and_the_policy_names_no_cdn(shipped_base: str) -> None:
    page = httpx.get(shipped_base + "/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "cdn.jsdelivr.net" not in page.text and "https://" not in page.headers["content-security-policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = httpx.get(f"{shipped_base}/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 10_000, asset
    assert httpx.get(shipped_base + "/docs/assets/..%2F__init__.py").status_code == 404


@NEEDS_CHROMIUM
def test_docs_render_every_operation_offline(shipped_base: str) -> None:
    from playwright.sync_api import sync_playwright

    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context().new_page()

            def route(r):  # playwright's Route
                if under(shipped_base, r.request.url):
                    return r.continue_()
                failed.append(f"offline: {r.request.url}")
                return r.abort()

            page.route("**/*", route)
            page.on("requestfailed", lambda req: failed.append(f"failed: {req.url}"))
            page.on("response", lambda res: res.status >= 400 and failed.append(f"{res.status}: {res.url}"))
            page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
            page.goto(shipped_base + "/docs", wait_until="networkidle")
            page.wait_for_selector(".opblock", timeout=30_000)
            shown = set(
                page.eval_on_selector_all(
                    ".opblock",
                    """blocks => blocks.map(b =>
                b.querySelector('.opblock-summary-method').textContent.toLowerCase() + ' ' +
                b.querySelector('.opblock-summary-path').getAttribute('data-path'))""",
                )
            )
            Path(ARTIFACTS).mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        finally:
            browser.close()
    paths = httpx.get(shipped_base + "/openapi.json").json()["paths"]
    expected = {
        f"{method} {path}"
        for path, ops in paths.items()
        for method in ops
        if method in ("get", "post", "put", "delete", "head", "patch")
    }
    assert not failed, failed
    assert not errors, errors
    assert len(expected) > 20 and shown == expected, expected ^ shown
