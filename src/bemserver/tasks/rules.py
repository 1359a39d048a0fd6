"""Schedules are read by the campaign's members and written by admins (as in the reference);
a run is seen by who started it and by the members of its campaign (admins see all)."""

from sqlalchemy import or_

from bemserver.permissions import Access, campaign_ids_of, campaign_member, rule
from bemserver.tasks.models import TaskByCampaign, TaskRun

started_or_member = Access(
    lambda caller: or_(TaskRun.started_by == caller.id, TaskRun.campaign_id.in_(campaign_ids_of(caller))),
    "campaign",
)


def rules() -> None:
    rule(TaskByCampaign, campaign_member(TaskByCampaign.campaign_id))
    rule(TaskRun, started_or_member)
