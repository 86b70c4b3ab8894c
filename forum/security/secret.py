"""The session signing key: from SECRET_KEY, or generated once into the instance folder."""

import os
import secrets
from pathlib import Path

from flask import Flask

KEY_FILE = "secret_key"


def load_or_create_key(instance_path: str) -> str:
    """The key kept in `instance_path`, created (mode 0600) on first use.

    Several processes may start at once: the key is written to a private
    temporary file and linked into place, so exactly one key wins and nobody
    reads a half-written file.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    if not path.exists():
        tmp = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to have a new one made.")
    return key


def configure_secret_key(app: Flask) -> None:
    """An explicit SECRET_KEY, or (outside production) the instance folder's generated one."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["FORUM_ENV"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production (FORUM_ENV=production).")
    app.config["SECRET_KEY"] = load_or_create_key(app.instance_path)
