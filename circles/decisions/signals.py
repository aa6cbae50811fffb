"""Signals of the logbook, for the apps that build on it (certification …)."""

from django.dispatch import Signal

# Sent inside the adoption's transaction, after the decision is saved, with `decision`
# and `by`. A receiver acts on the decision's subject; raising ValidationError undoes
# the adoption and shows the message to the secretary.
decision_adopted = Signal()
