"""Use cases: each owns its transaction, its permission check and its audit record (ARCHITECTURE.md)."""
