"""The `sscard` command line: one small module per command group."""
