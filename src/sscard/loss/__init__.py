"""Loss reports, lifting them, replacement, collection and the balance transfer."""
