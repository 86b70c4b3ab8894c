"""Search page and commands (filled in by the search feature)."""

from flask import Blueprint

bp = Blueprint("search", __name__)
