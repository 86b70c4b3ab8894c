"""The floor for bench/live.py: a bare Flask-SocketIO app with the forum's server settings and no database.

Served by the same `gunicorn -c gunicorn.conf.py` (same worker class) as the forum. It answers the three
things the benchmark does to the forum: connect with `auth={"token"}`, `join_idea` with an ack, and
`POST /api/v1/ideas/<id>/comments`, which emits `comment_created` to the room with a payload shaped and
sized like the forum's comment (so the ratio compares the forum's work per event, not its payload).

    gunicorn -c gunicorn.conf.py --chdir bench --bind 127.0.0.1:PORT live_floor:app

Several processes sharing SOCKETIO_MESSAGE_QUEUE make the floor of the forum's multi-process phase.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room

app = Flask(__name__)
# With SOCKETIO_MESSAGE_QUEUE set (bench/live.py's two-process floor), emits travel through Redis as the forum's do.
socketio = SocketIO(app, async_mode="gevent", message_queue=os.environ.get("SOCKETIO_MESSAGE_QUEUE"))
_ids = itertools.count(1)


@app.get("/healthz")
def healthz():
    """Ready probe for the harness."""
    return {"status": "ok"}


@app.post("/api/v1/ideas/<int:idea_id>/comments")
def post_comment(idea_id: int):
    """Emit a comment-shaped event to the idea's room; no storage."""
    body = (request.get_json(silent=True) or {}).get("body", "")
    comment = {
        "id": next(_ids),
        "idea_id": idea_id,
        "parent_id": None,
        "author": {"id": 2, "name": "Bench Senior", "role": "senior", "office": "MIN"},
        "body": body,
        "body_html": f"<p>{body}</p>\n",
        "created_at": datetime.now(UTC).isoformat(),
        "edited_at": None,
        "deleted": False,
        "official": True,
    }
    socketio.emit("comment_created", {"idea_id": idea_id, "comment": comment}, to=f"idea:{idea_id}")
    return jsonify(comment), 201


@socketio.on("connect")
def on_connect(auth=None):
    """Accept any client that sends a token, as the forum accepts valid ones."""
    return isinstance(auth, dict) and bool(auth.get("token"))


@socketio.on("join_idea")
def on_join(data=None):
    """Join the idea's room."""
    join_room(f"idea:{int(data['idea_id'])}")
    return {"ok": True}
