"""The ASGI application: routes, the casing and error layers, nothing else.

No trailing-slash redirects: ``/api/v1/patients/`` is a 404 and ``/o/token`` too, as in JHE
(which answers a POST to the latter with a 500; here it is a JSON 404). No OpenAPI pages either,
so the URL space is JHE's.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException

from .casing import QueryNamesMiddleware
from .db import Pool
from .deps import Settings
from .errors import ApiError, CatchAllMiddleware, api_error_handler, http_error_handler
from .routes import (consents, data_sources, fhir, fhir_patients, invitation_records, invitations, members, oauth,
                     observations, organization_admin, organizations, patient_apps, patients, practitioner_clients,
                     server, studies, study_admin, user_search, users)

ROUTERS = tuple(module.router for module in (server, oauth, users, user_search, organizations, organization_admin,
                                             members, studies, study_admin, patient_apps, patients, invitations,
                                             invitation_records, consents, observations, data_sources, fhir,
                                             fhir_patients, practitioner_clients))


def create_app(settings: Settings, *, own_loop: bool = False) -> FastAPI:
    """``own_loop``: nothing else runs on this process's event loop (`serve-demo`), so heavy
    handlers may run on it (``deps.off_loop``); in process they must leave it to the console."""
    app = FastAPI(title="JupyterHealth Exchange (demo)", docs_url=None, redoc_url=None, openapi_url=None,
                  redirect_slashes=False)
    app.state.settings = settings
    app.state.own_loop = own_loop
    app.state.connections = Pool(settings.db_path)
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_middleware(QueryNamesMiddleware)
    app.add_middleware(CatchAllMiddleware)
    return app
