"""The one schema, shared by web, jobs and CLI. Imports nothing of ours."""

from .audit import AuditEntry
from .base import Base, utcnow
from .directory import MembershipCategory, Organization, Person
from .events import Deadline, DeadlineKind, Event
from .invitations import (
    Delivery,
    EntryStatus,
    Invitation,
    RsvpAnswer,
    TargetEntry,
    TargetGroup,
    Wave,
    WaveState,
    WebhookEvent,
)
from .jobs import JobRun, JobState
from .mail import OutboxMessage, OutboxState
from .pledges import (
    CoalitionSignature,
    ExchangeRate,
    Pledge,
    PledgeComment,
    PledgerSector,
    PledgeState,
    PledgeTag,
    PledgeType,
    ProgressReport,
    ReportReminder,
    ReportStatus,
)
from .reference import Country, ReferenceItem, Region
from .users import Role, RoleGrant, TokenPurpose, User, UserToken

__all__ = [
    "CoalitionSignature",
    "ExchangeRate",
    "Pledge",
    "PledgeComment",
    "PledgerSector",
    "PledgeState",
    "PledgeTag",
    "PledgeType",
    "ProgressReport",
    "ReportReminder",
    "ReportStatus",
    "Delivery",
    "EntryStatus",
    "Invitation",
    "RsvpAnswer",
    "TargetEntry",
    "TargetGroup",
    "Wave",
    "WaveState",
    "WebhookEvent",
    "AuditEntry",
    "Base",
    "Country",
    "Deadline",
    "DeadlineKind",
    "Event",
    "JobRun",
    "JobState",
    "MembershipCategory",
    "Organization",
    "OutboxMessage",
    "OutboxState",
    "Person",
    "ReferenceItem",
    "Region",
    "Role",
    "RoleGrant",
    "TokenPurpose",
    "User",
    "UserToken",
    "utcnow",
]
