"""The JupyterHealth Exchange client: async, typed, for both server generations and the demo.

Imports no Textual and nothing of the embedded backend; the two meet only over HTTP.
"""

from .auth import BearerAuth
from .client import JheClient, scope_key
from .errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    JheError,
    NetworkFailure,
    NotFound,
    ServerFailure,
    Unauthenticated,
)
from .generation import Adapter, Generation, ServerInfo
from .http import ASGITransport, MockTransport
from .models import (
    CodeableConcept,
    DataSource,
    EnrollmentResult,
    FhirObservation,
    Identifier,
    Invitation,
    InvitationClient,
    Member,
    Observation,
    Organization,
    Patient,
    PatientChanges,
    PatientConsents,
    PatientCreateResult,
    PatientDraft,
    ScopeConsent,
    ScopeRequest,
    Study,
    StudyConsents,
    UserProfile,
)
from .omh import OmhValue
from .pages import Page
from .retry import RetryPolicy

__all__ = [
    "ASGITransport",
    "Adapter",
    "BearerAuth",
    "CodeableConcept",
    "Conflict",
    "DataSource",
    "EnrollmentResult",
    "FhirObservation",
    "Forbidden",
    "Generation",
    "Identifier",
    "InvalidInput",
    "Invitation",
    "InvitationClient",
    "JheClient",
    "JheError",
    "Member",
    "MockTransport",
    "NetworkFailure",
    "NotFound",
    "Observation",
    "OmhValue",
    "Organization",
    "Page",
    "Patient",
    "PatientChanges",
    "PatientConsents",
    "PatientCreateResult",
    "PatientDraft",
    "RetryPolicy",
    "ScopeConsent",
    "ScopeRequest",
    "ServerFailure",
    "ServerInfo",
    "Study",
    "StudyConsents",
    "Unauthenticated",
    "UserProfile",
    "scope_key",
]
