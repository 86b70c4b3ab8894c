"""The idea lifecycle: status moves with owners and reasons, history, adoptions, recognition."""
