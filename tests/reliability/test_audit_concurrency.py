"""Concurrent appends to the audit chain on PostgreSQL: transactions that each read the last entry and append
must not fork the chain or collide on its sequence (services.audit.record takes an advisory lock). SQLite has
one writer at a time, so only PostgreSQL can interleave here."""

from __future__ import annotations

import threading

from countyzero.services import audit
from countyzero.store.db import make_engine, session_factory, transaction, upgrade

WRITERS, APPENDS = 6, 5


def test_concurrent_appends_keep_one_chain(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = session_factory(engine)
    start, failures = threading.Barrier(WRITERS), []

    def writer(number: int) -> None:
        start.wait()
        try:
            for k in range(APPENDS):
                with transaction(sessions) as session:
                    audit.record(session, actor=f"writer-{number}", organisation_id=None, action="create",
                                 entity="test", entity_id=f"{number}-{k}")
        except Exception as exc:  # collected: the test asserts there are none
            failures.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        assert failures == []
        assert audit.count(session) == WRITERS * APPENDS
        assert audit.verify_chain(session) == []
    engine.dispose()
