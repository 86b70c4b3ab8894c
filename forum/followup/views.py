"""Follow-up pages and commands (filled in by the follow-up feature)."""

from flask import Blueprint

bp = Blueprint("followup", __name__)
