"""What a refused request must leave unchanged: the table rows and blobs under a test's container prefix."""
from __future__ import annotations

from service.storage import get_storage


def census(settings) -> dict:
    """Every table row and blob under this test module's prefix: what a refused request must leave unchanged."""
    storage = get_storage(settings)
    prefix = settings.container_prefix
    tables = sorted(t.name for t in storage.table_service.list_tables() if t.name.startswith(prefix.replace("-", "")))
    rows = {t: sorted(e["RowKey"] for e in storage.table_service.get_table_client(t).list_entities(select=["RowKey"]))
            for t in tables}
    containers = sorted(c.name for c in storage.blob_service.list_containers(name_starts_with=prefix))
    blobs = {c: sorted(b.name for b in storage.blob_service.get_container_client(c).list_blobs()) for c in containers}
    return {"rows": rows, "blobs": blobs}
