"""Backups that outlive the machine, and the check that a database still adds up."""
