"""Settlement at designated institutions: online, offline, refunds, compensation."""
