"""Scheduled deployments, served by ``ledgerline schedule``.

- ``hourly-incremental``: every hour, an incremental sync of every vendor (no model rebuild).
- ``nightly-reconcile``: every night at 02:30, a full reconcile of every vendor, then the
  models are rebuilt.

Each deployment allows one run at a time, and every flow that writes the warehouse also
holds the ``ledgerline-warehouse`` slot inside the run, so an hourly run and the nightly one
never write the DuckDB file together either.
"""

from __future__ import annotations

import contextlib
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from flows.sync import sync_flow

HOURLY_CRON = "0 * * * *"
NIGHTLY_CRON = "30 2 * * *"
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def deployments() -> list[Any]:
    """The deployments ledgerline schedules (not yet registered with any server)."""
    hourly = sync_flow.to_deployment(
        name="hourly-incremental",
        cron=HOURLY_CRON,
        parameters={"full_refresh": False, "transform": False},
        concurrency_limit=ONE_AT_A_TIME,
        description="Incremental sync of every vendor; the models are rebuilt nightly.",
        tags=["ledgerline", "incremental"],
    )
    nightly = sync_flow.to_deployment(
        name="nightly-reconcile",
        cron=NIGHTLY_CRON,
        parameters={"full_refresh": True, "transform": True},
        concurrency_limit=ONE_AT_A_TIME,
        description="Full reconcile of every vendor (edits to closed documents, hard deletes), then the models.",
        tags=["ledgerline", "reconcile"],
    )
    return [hourly, nightly]


def ensure_warehouse_slot() -> None:
    """Create the global one-writer limit on the server if it is not there yet."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    from flows.sync import WAREHOUSE_SLOT

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(WAREHOUSE_SLOT)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another process made it first
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=WAREHOUSE_SLOT, limit=1)
                )


def serve_all() -> None:
    """Register and run the deployments until interrupted (needs a Prefect server)."""
    from prefect import serve

    ensure_warehouse_slot()
    serve(*deployments())
