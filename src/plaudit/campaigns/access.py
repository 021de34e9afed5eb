"""Who may do what for an organisation: owners manage members, managers run campaigns,
analysts read. A campaign of an organisation the caller is not a member of does not exist
for that caller (404), so brands cannot probe each other's campaigns."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from plaudit.campaigns.model import Campaign
from plaudit.campaigns.policy import load_campaign
from plaudit.errors import CampaignNotFound, Forbidden, OrganisationNotFound
from plaudit.store import campaigns as sql

__all__ = ["MANAGE", "READ", "RUN", "campaign_for", "require_role"]

MANAGE = ("owner",)
RUN = ("owner", "manager")
READ = ("owner", "manager", "analyst")


def require_role(
    conn: Connection, organisation_id: int, account_id: int, roles: tuple[str, ...]
) -> str:
    """The caller's role when it is one of `roles`; 404 / 403 problems otherwise."""
    missing = OrganisationNotFound(f"organisation {organisation_id} does not exist")
    if sql.get_organisation(conn, organisation_id) is None:
        raise missing
    role = sql.role_of(conn, organisation_id, account_id)
    if role is None:  # exactly as a missing one: ids cannot be probed (issue 17)
        raise missing
    if role not in roles:
        raise Forbidden(
            f"this needs the role {' or '.join(roles)} in organisation {organisation_id}; "
            f"this account is {role}"
        )
    return role


def campaign_for(
    conn: Connection, campaign_id: int, account_id: int, roles: tuple[str, ...]
) -> Campaign:
    """The campaign, when the caller has one of `roles` in its organisation."""
    campaign = load_campaign(conn, campaign_id)
    role = sql.role_of(conn, campaign.organisation_id, account_id)
    if role is None:
        raise CampaignNotFound(f"campaign {campaign_id} does not exist", campaign_id=campaign_id)
    if role not in roles:
        raise Forbidden(
            f"this needs the role {' or '.join(roles)} in the campaign's organisation; "
            f"this account is {role}"
        )
    return campaign
