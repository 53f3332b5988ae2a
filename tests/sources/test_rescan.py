"""Long rescans are read by the page worker: the same pages and errors as in the sync process,
and no rescan fails for the worker's sake."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import duckdb
import pytest

from pipelines import config
from pipelines.sync import sync
from sandbox.server import Sandbox
from sources import rescan
from sources.baloom import helpers, make_client
from sources.http import ApiClient, AuthError, Page, SourceError, SyncStats
from sources.records import record_hash
from sources.rescan import Known, KnownDecoder, PageWorker

PAGES = 15  # Baloom's 300 invoices at 20 a page


@pytest.fixture
def worker() -> Iterator[PageWorker]:
    w = PageWorker()
    yield w
    w.close()


def requests() -> list[tuple[str, Mapping[str, Any]]]:
    spec = helpers.page_spec("invoices", None)
    return [(spec.path, {**spec.params(n), "limit": 20}) for n in range(1, PAGES + 1)]


def baloom(sandbox: Sandbox) -> ApiClient:
    return make_client(sandbox.base_urls["baloom"], sandbox.credentials.baloom_api_key)


def held_every_other(sandbox: Sandbox) -> KnownDecoder:
    """A decoder for which every other invoice is held as sent (the warehouse's versions)."""
    client = baloom(sandbox)
    versions = {}
    for path, params in requests():
        page = client.get(path, params)
        assert page is not None
        versions.update({record_hash(r): r["id"] for r in page.body["data"][::2]})
    return KnownDecoder("data", "id", versions)


def in_process(sandbox: Sandbox, decoder: KnownDecoder) -> list[Any]:
    client = baloom(sandbox)
    pages = [client.get(path, params, decode=decoder) for path, params in requests()]
    return [p.body for p in pages if p is not None]


def half_held(sandbox: Sandbox) -> tuple[KnownDecoder, list[Any], ApiClient]:
    """The every-other-invoice decoder, the bodies the sync process reads with it, a client."""
    decoder = held_every_other(sandbox)
    return decoder, in_process(sandbox, decoder), baloom(sandbox)


def shape(bodies: list[Any]) -> list[list[tuple[str, Any]]]:
    """Each page's records as (kind, record): Known stand-ins must stay Known."""
    return [[(type(r).__name__, r) for r in b["data"]] for b in bodies]


def no_local(i: int) -> Page:
    raise AssertionError(f"page {i} was fetched in the sync process")


def test_the_worker_answers_the_pages_the_sync_process_would_read(
    sandbox: Sandbox, worker: PageWorker
) -> None:
    decoder, expected, client = half_held(sandbox)
    stats = SyncStats("baloom")
    pages = list(worker.pages(client, requests(), decoder, 4, stats, no_local))
    assert worker._proc is not None  # read by the worker, not in this process
    bodies = [p.body for p in pages]
    assert shape(bodies) == shape(expected)
    assert bodies[0]["meta"] == expected[0]["meta"]
    known = sum(type(r) is Known for b in bodies for r in b["data"])
    assert 100 < known <= 150  # held: every other one of 300 invoices that re-encodes as sent
    assert all(p.served_at is not None for p in pages)
    assert stats.pages == PAGES and stats.requests == PAGES and stats.retries == 0


def test_a_refusal_in_the_worker_is_the_same_clear_error(
    sandbox: Sandbox, worker: PageWorker
) -> None:
    wrong = "wrong-key-0123456789"
    client = make_client(sandbox.base_urls["baloom"], wrong)
    decoder = KnownDecoder("data", "id", {})
    with pytest.raises(AuthError) as err:
        list(worker.pages(client, requests(), decoder, 4, SyncStats("baloom"), no_local))
    assert "SOURCES__BALOOM__API_KEY" in str(err.value)
    assert wrong not in str(err.value)
    assert worker._proc is not None


def test_pages_a_stopped_worker_did_not_answer_are_read_in_the_sync_process(
    sandbox: Sandbox, worker: PageWorker
) -> None:
    decoder, expected, client = half_held(sandbox)
    reqs = requests()
    read_here: list[int] = []

    def local(i: int) -> Page:
        read_here.append(i)
        page = client.get(*reqs[i], decode=decoder)
        assert page is not None
        return page

    pages = worker.pages(client, reqs, decoder, 1, SyncStats("baloom"), local)
    first = [next(pages), next(pages)]
    assert worker._proc is not None
    worker._proc.kill()  # as if the machine had killed it
    worker._proc.wait()
    rest = list(pages)
    assert shape([p.body for p in first + rest]) == shape(expected)
    assert read_here and read_here == list(range(PAGES - len(read_here), PAGES))
    # the rest of the sync stays in its own process; the next one starts a worker again
    assert list(worker.pages(client, reqs[:1], decoder, 1, SyncStats("baloom"), local))
    worker.close()
    list(worker.pages(client, reqs[:1], decoder, 1, SyncStats("baloom"), no_local))


def test_the_worker_s_rescans_of_one_vendor_reuse_its_connections(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rescan, "_CONNECTIONS", {})
    decoder, expected, client = half_held(sandbox)
    settings = rescan.client_settings(client)
    assert settings is not None

    def scan(sid: int) -> list[Any]:
        frames: queue.SimpleQueue[list[Any]] = queue.SimpleQueue()
        # one page at a time: a rescan needs one connection, and the next can only reuse it
        worker_scan = rescan._Scan(sid, settings, "data", stored, 1, frames.put)
        worker_scan.chunks.put((0, [[p, q] for p, q in requests()]))
        answers = [frames.get(timeout=30) for _ in range(PAGES)]
        worker_scan.chunks.put(None)
        assert [a[0] for a in answers] == ["page"] * PAGES
        return [decoder.assemble((a[3][0][1], a[3][0][2])) for a in answers]

    stored = rescan.Versions.of(decoder.versions).ipc()
    connections = rescan.shared_connections(settings, 1)
    try:
        assert shape(scan(1)) == shape(expected)
        assert connections.opened == 1
        assert shape(scan(2)) == shape(expected)  # the first rescan's end left it open
        assert connections.opened == 1
        assert rescan.shared_connections(settings, 1) is connections
    finally:
        connections.close()


def test_the_mode_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(rescan.MODE_ENV, "sometimes")
    with pytest.raises(SourceError, match="auto, on or off"):
        rescan.wanted(100)
    monkeypatch.setenv(rescan.MODE_ENV, "off")
    assert not rescan.wanted(10_000)
    monkeypatch.setenv(rescan.MODE_ENV, "on")
    assert rescan.wanted(1)
    monkeypatch.setenv(rescan.MODE_ENV, "auto")
    monkeypatch.setattr(rescan.os, "cpu_count", lambda: 2)
    assert not rescan.wanted(rescan.MIN_PAGES - 1) and rescan.wanted(rescan.MIN_PAGES)
    monkeypatch.setattr(rescan.os, "cpu_count", lambda: 1)
    assert not rescan.wanted(10_000)


def test_a_sync_can_start_the_worker_ahead_of_its_first_rescan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = PageWorker()
    monkeypatch.setattr(rescan, "WORKER", worker)
    monkeypatch.setattr(rescan.os, "cpu_count", lambda: 2)
    try:
        for chosen in ("off", "sometimes"):  # a bad mode is each vendor's error, said there
            monkeypatch.setenv(rescan.MODE_ENV, chosen)
            rescan.prestart()
            assert worker._proc is None
        for chosen in ("auto", "on"):
            monkeypatch.setenv(rescan.MODE_ENV, chosen)
            rescan.prestart()
            proc = worker._proc
            assert proc is not None and proc.poll() is None
            rescan.prestart()  # started once
            assert worker._proc is proc
            rescan.shutdown()
            assert worker._proc is None and proc.poll() is not None
    finally:
        worker.close()


def raw_tables() -> dict[str, tuple[Any, ...]]:
    """Each raw Baloom table's row count and a hash of all its rows (load ids aside)."""
    out = {}
    with duckdb.connect(str(config.warehouse_path()), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw_baloom' and table_name not like '_dlt%'"
        ).fetchall()
        for (t,) in tables:
            cols = [
                c[0]
                for c in con.execute(f'describe raw_baloom."{t}"').fetchall()
                if c[0] not in ("_dlt_load_id", "_dlt_id")
            ]
            expr = ", ".join(f'"{c}"' for c in cols)
            row = con.execute(f'select count(*), bit_xor(hash(({expr}))) from raw_baloom."{t}"')
            out[t] = cast(tuple[Any, ...], row.fetchone())  # an aggregate: always one row
    return out


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_a_rescan_through_the_worker_loads_what_one_in_process_loads(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    profile: str,
) -> None:
    results = {}
    started: list[bool] = []
    ensure = rescan.WORKER._ensure

    def spy() -> Any:
        proc = ensure()
        started.append(proc is not None)
        return proc

    monkeypatch.setattr(rescan.WORKER, "_ensure", spy)
    for mode in ("off", "on"):
        sb = make_sandbox(scale=300, faults=profile)
        point_at(sb)
        monkeypatch.setenv("LEDGERLINE_HOME", str(tmp_path / mode))
        monkeypatch.setenv(rescan.MODE_ENV, "off")
        (full,) = sync(["baloom"])  # a first run: nothing held, nothing to rescan
        assert full.error is None
        sb.advance(days=3)
        monkeypatch.setenv(rescan.MODE_ENV, mode)
        (again,) = sync(["baloom"])  # every Baloom run rescans every endpoint
        assert again.error is None and again.stats.unchanged > 0
        assert rescan.WORKER._proc is None  # the sync stopped its worker
        results[mode] = raw_tables()
    assert started and all(started)  # only the second rescan used the worker, every time
    assert results["on"] == results["off"]
