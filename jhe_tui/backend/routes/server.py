"""What the server says about itself, without a token: health, OpenID discovery, and the web
console's settings script (which is where JHE publishes the console's public client id)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..auth import MANAGERS, WRITERS
from ..deps import Conn, ServerSettings
from .organizations import ORGANIZATION_TYPES

router = APIRouter()

ROLE_PERMISSIONS = {
    role: [name for name, allowed in (("patient.manage_for_organization", WRITERS),
                                      ("study.manage_for_organization", WRITERS),
                                      ("organization.manage_for_practitioners", MANAGERS)) if role in allowed]
    for role in ("manager", "member", "viewer")
}


@router.get("/health")
def health() -> Response:
    """``demo: true`` is how a client tells the embedded backend from a real JHE."""
    return JSONResponse({"status": "ok", "version": "demo", "demo": True})


@router.get("/o/.well-known/openid-configuration")
@router.get("/o/.well-known/openid-configuration/")
def discovery(settings: ServerSettings) -> Response:
    base = f"{settings.site_url}/o"
    return JSONResponse({
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize/",
        "token_endpoint": f"{base}/token/",
        "userinfo_endpoint": f"{base}/userinfo/",
        "revocation_endpoint": f"{base}/revoke_token/",
        "response_types_supported": ["code"],
        "scopes_supported": ["openid"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "subject_types_supported": ["public"],
    })


@router.get("/portal/settings.js")
@router.get("/common/server-settings.js")
def console_settings(conn: Conn) -> Response:
    """The console's OIDC settings in the shape of JHE's ``client_settings.js``."""
    client_id = json.dumps(conn.execute("SELECT client_id FROM oauth_application WHERE id = 1").fetchone()[0])
    script = f"""const redirectUri = window.location.origin + "/auth/callback";
const authority = window.location.origin + "/o";

window.OIDCSettings = {{
  authority: authority,
  client_id: {client_id},
  redirect_uri: redirectUri,
  extraQueryParams: {{}},
  response_mode: "query",
}};

const CONSTANTS = {{
  JHE_VERSION: "demo",
  client_id: {client_id},
  ORGANIZATION_TOP_LEVEL_PART_OF_ID: 0,
  ORGANIZATION_TOP_LEVEL_PART_OF_LABEL: "None (Top Level Organization)",
  ORGANIZATION_TYPES: {json.dumps(ORGANIZATION_TYPES)},
  ROLE_PERMISSIONS: {json.dumps(ROLE_PERMISSIONS)}
}};
"""
    return Response(script, media_type="application/javascript")


@router.get("/auth/callback")
@router.get("/auth/callback/")
def console_callback() -> Response:
    """Where the console's sign-in lands. A terminal client signing in by paste-back asks the user
    to copy this page's address; the page says so (the real console would exchange the code)."""
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Signed in - JupyterHealth Exchange (demo)</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}</style></head>
<body><h1>Signed in</h1>
<p>If you are signing in to <strong>jhe-tui</strong>: copy the whole address of this page from the
address bar and paste it into the terminal now. The code in it expires after 60 seconds.</p>
</body></html>"""
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
