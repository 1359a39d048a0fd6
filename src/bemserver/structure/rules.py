"""The building model: readable by campaign members, written by admins. Top elements are read
through their campaign, others through their parent, property values through their element.
"""

from bemserver.permissions import campaign_member, everyone, readable_through, rule
from bemserver.structure import tree
from bemserver.structure.models import StructuralElementProperty


def rules() -> None:
    rule(StructuralElementProperty, everyone)
    for element in tree.ELEMENTS:
        parent = tree.parent_link(element)
        rule(
            element.model,
            campaign_member(element.parent_column) if parent is None else readable_through(*parent),
        )
        rule(element.property_model, everyone)
        values = element.property_data_model
        rule(values, readable_through(getattr(values, element.key), element.model))
