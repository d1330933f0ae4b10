"""How `sscard serve` runs: one uvicorn server per process that drains when told to
stop (`worker`), and the supervisor that keeps N of them alive (`supervisor`)."""
