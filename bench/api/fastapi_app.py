"""The seed's stack for the API benchmark: FastAPI + uvicorn (Debian python3-fastapi / python3-uvicorn) with
sqlite3, serving the same three routes with the same tables and the same work as bench/api/bare-server.mjs
(pydantic validation of the body, insert then read back, three selects on get, one page query on list).

Run: DB_PATH=/tmp/x.db python3 -m uvicorn fastapi_app:app --host 127.0.0.1 --port 8000
"""

import base64
import json
import os
import re
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Literal, Optional

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, constr

DB_PATH = os.environ.get("DB_PATH", ":memory:")
db = sqlite3.connect(DB_PATH, check_same_thread=False, isolation_level=None)
db.row_factory = sqlite3.Row
db.execute("PRAGMA journal_mode = WAL")
db.executescript(
    """
  CREATE TABLE IF NOT EXISTS incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    extracted_entities TEXT NOT NULL DEFAULT '{}',
    conclusion TEXT,
    error_message TEXT,
    llm_usage TEXT
  );
  CREATE INDEX IF NOT EXISTS incidents_status_seq ON incidents (status, seq);
  CREATE TABLE IF NOT EXISTS investigation_steps (
    incident_id TEXT NOT NULL REFERENCES incidents(id), idx INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (incident_id, idx));
  CREATE TABLE IF NOT EXISTS evidence (
    incident_id TEXT NOT NULL REFERENCES incidents(id), key TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (incident_id, key));
"""
)

app = FastAPI()


class NewIncident(BaseModel):
    description: constr(strip_whitespace=True, min_length=1, max_length=10_000)
    source: Optional[Literal["api", "cli", "alertmanager"]] = None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_incident(row, steps, evidence) -> dict:
    out = {
        "id": row["id"],
        "description": row["description"],
        "status": row["status"],
        "source": row["source"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if row["completed_at"] is not None:
        out["completed_at"] = row["completed_at"]
    out["evidence"] = {e["key"]: json.loads(e["value"]) for e in evidence}
    out["extracted_entities"] = json.loads(row["extracted_entities"])
    if row["conclusion"] is not None:
        out.update(json.loads(row["conclusion"]))
    out["investigation_steps"] = [json.loads(s["data"]) for s in steps]
    if row["llm_usage"] is not None:
        out["llm_usage"] = json.loads(row["llm_usage"])
    if row["error_message"] is not None:
        out["error_message"] = row["error_message"]
    return out


def load(incident_id: str):
    row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        return None
    steps = db.execute("SELECT data FROM investigation_steps WHERE incident_id = ? ORDER BY idx", (incident_id,)).fetchall()
    ev = db.execute("SELECT key, value FROM evidence WHERE incident_id = ? ORDER BY seq", (incident_id,)).fetchall()
    return to_incident(row, steps, ev)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/api/v1/incidents", status_code=202)
def create(body: NewIncident):
    incident_id = str(uuid.uuid4())
    now = now_iso()
    db.execute(
        "INSERT INTO incidents (id, description, status, source, correlation_id, created_at, updated_at) "
        "VALUES (?, ?, 'pending', ?, ?, ?, ?)",
        (incident_id, body.description, body.source or "api", str(uuid.uuid4()), now, now),
    )
    load(incident_id)
    return {"incident_id": incident_id}


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@app.get("/api/v1/incidents/{incident_id}")
def get(incident_id: str):
    if not UUID_RE.match(incident_id):
        raise HTTPException(status_code=400, detail="id: expected a UUID")
    incident = load(incident_id)
    if incident is None:
        return JSONResponse(status_code=404, content={"code": 404, "message": f"no incident {incident_id}"})
    return incident


@app.get("/api/v1/incidents")
def list_incidents(
    limit: int = Query(20, ge=1, le=100),
    status: Optional[Literal["pending", "running", "completed", "failed"]] = None,
    cursor: Optional[str] = None,
):
    before = 2**53 - 1
    if cursor is not None:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            before = int(re.fullmatch(r"v1:(\d{1,15})", text).group(1))
        except Exception:
            raise HTTPException(status_code=400, detail="cursor is not valid")
    if status is not None:
        rows = db.execute(
            "SELECT * FROM incidents WHERE status = ? AND seq < ? ORDER BY seq DESC LIMIT ?", (status, before, limit + 1)
        ).fetchall()
    else:
        rows = db.execute("SELECT * FROM incidents WHERE seq < ? ORDER BY seq DESC LIMIT ?", (before, limit + 1)).fetchall()
    items = []
    for row in rows[:limit]:
        item = {
            "id": row["id"],
            "description": row["description"],
            "status": row["status"],
            "source": row["source"],
            "created_at": row["created_at"],
        }
        if row["completed_at"] is not None:
            item["completed_at"] = row["completed_at"]
        if row["conclusion"] is not None:
            c = json.loads(row["conclusion"])
            item["suggested_root_cause"] = c.get("suggested_root_cause")
            item["confidence_score"] = c.get("confidence_score")
        items.append(item)
    next_cursor = None
    if len(rows) > limit and items:
        next_cursor = base64.urlsafe_b64encode(f"v1:{rows[limit - 1]['seq']}".encode()).decode().rstrip("=")
    return {"items": items, "next_cursor": next_cursor}
