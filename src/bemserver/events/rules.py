"""Events are the business of their campaign scope's members; preferences and notifications are
each user's own. Categories are read by everyone and written by admins."""

from bemserver.events import models as m
from bemserver.events.links import EVENT_LINKS
from bemserver.permissions import everyone, own, readable_through, rule, scope_member, writable_through


def rules() -> None:
    rule(m.EventCategory, everyone)
    mine = own(m.EventCategoryByUser.user_id)
    rule(m.EventCategoryByUser, mine, write=mine)
    members = scope_member(m.Event.campaign_scope_id)
    rule(m.Event, members, write=members)
    for link in (m.TimeseriesByEvent, *EVENT_LINKS.tables.values()):
        rule(
            link,
            readable_through(link.event_id, m.Event),
            write=writable_through(link.event_id, m.Event),
        )
    # Notifications are made by the server (admins may add or delete one by hand).
    rule(m.Notification, own(m.Notification.user_id), update=own(m.Notification.user_id))
