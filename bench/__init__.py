"""sscard's benchmarks: run on demand with `make bench` / `make bench-full`, never in tests."""
