"""`/docs` (Swagger UI) and `/redoc` served from files installed with radprep, never from a CDN, so the
contract can be read on an offline hospital network.

The JavaScript and CSS come from the PyPI package `fastapi-offline` (MIT), which ships the builds
FastAPI's own pages load from a CDN: swagger-ui-dist 5 (Apache-2.0) and ReDoc 2 (MIT). Only its files
are used, served here under `/docs/assets/`; the pages are FastAPI's own HTML helpers pointed at them.
Swagger UI's online validator badge is off (it would send the schema's URL out).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from service.errors import ApiError

ASSETS_PATH = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript", "favicon.png": "image/png",
}


@cache
def assets_folder() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def add_docs(app: FastAPI) -> None:
    """The two pages and their assets (none of them in the OpenAPI schema)."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png", with_google_fonts=False,
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise ApiError("not_found", "no such documentation asset", status=404)
        return FileResponse(assets_folder() / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})
