"""What happened to content, for whoever cares: the recommender subscribes in its AppConfig.ready().

Sent by every write path (services, admin, importers, the demo loader, the embedding tasks), inside the writing
transaction; a receiver that starts background work does it on commit.
"""

from django.dispatch import Signal

# A person's feedback was recorded, changed or removed. Arguments: user_ids.
feedback_changed = Signal()
# A person's bio vector was made, remade or removed. Arguments: user_id.
bio_embedded = Signal()
# Items were created, edited, (de)activated or embedded. Arguments: item_ids.
items_changed = Signal()
# Items got a new vector (first or remade). Arguments: item_ids.
items_embedded = Signal()
