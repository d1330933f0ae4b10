"""The administrator's dashboard: its figures, kept by the event handlers (summary
counts) or read through partial indexes, so none of them scans a big table."""
