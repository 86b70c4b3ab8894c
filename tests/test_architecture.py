"""The import arrows of docs/architecture.md, checked on the source: a new import that breaks them fails here.

A small AST walk over forum/ (no import-linter needed): every module belongs to one part, and each part may
import only the parts its row in ALLOWED names. Function-level imports count too, so a hidden arrow cannot
slip in under a function.
"""

import ast
from pathlib import Path

import pytest

FORUM = Path(__file__).resolve().parent.parent / "forum"

# Parts, most specific rule first. Web: page views, forms and page-only helpers; edges that speak HTTP.
WEB_FILES = {"views.py", "forms.py", "cli.py"}
WEB_MODULES = {"forum.auth", "forum.errors", "forum.forms", "forum.templating", "forum.ideas.cache"}
# Request-edge helpers shared by pages, API and sockets: forum.security (headers, input guards, session
# lifetimes, request log) and the rate limiter's per-request key functions.
EDGE_MODULES = {"forum.accounts.throttling"}
APP_MODULES = {"forum", "forum.cli", "forum.config", "forum.extensions"}


def part_of(module: str, filename: str) -> str:
    """The architecture part a forum module belongs to."""
    if module in APP_MODULES:
        return "app"
    if module.startswith("forum.models"):
        return "models"
    if module == "forum.domain_errors":
        return "errors"
    if module.startswith("forum.api"):
        return "api"
    if module.startswith("forum.live"):
        return "live"
    if module in EDGE_MODULES or module.startswith("forum.security"):
        return "edge"
    if module in WEB_MODULES or filename in WEB_FILES or module.startswith("forum.health"):
        return "web"
    if module.startswith("forum.search"):
        return "search"
    if module.startswith("forum.followup"):
        return "followup"
    return "services"  # */service.py, validation, effects, serializers, rendering, notifications


# Who may import whom (besides itself). "live.broadcast" is the one live module services may call: it
# queues emits after commit. The web side may import the API's error rendering for unrouted /api/ URLs.
ALLOWED = {
    "errors": set(),
    "models": {"app"},  # forum.extensions (db)
    "services": {"app", "models", "errors", "search", "followup", "live.broadcast"},
    "search": {"app", "models", "errors", "services"},
    "followup": {"app", "models", "errors", "services"},
    "edge": {"app", "models", "errors", "services"},
    "live": {"app", "models", "errors", "services", "search", "followup", "edge"},
    "api": {"app", "models", "errors", "services", "search", "followup", "live.broadcast", "edge"},
    "web": {"app", "models", "errors", "services", "search", "followup", "live.broadcast", "api.errors", "edge"},
    "app": {"app", "models", "errors", "services", "search", "followup", "live", "api", "web", "edge"},
}
# Libraries of the HTTP side that nothing below the edges may import.
WEB_LIBRARIES = ("werkzeug.exceptions", "flask_wtf", "flask_login", "wtforms")
BELOW_THE_EDGES = {"errors", "models", "services", "search", "followup"}
# Known exceptions, each with its reason. User is a Flask-Login user (UserMixin). forum/localtime.py holds
# both the pure zone helpers (used by mail and accounts) and the template filters that read the viewer's zone;
# splitting the filters into the web side would remove its exception.
KNOWN = {
    ("forum.models.accounts", "flask_login"): "User is a Flask-Login UserMixin",
    ("forum.localtime", "flask_login"): "template filters beside the pure zone helpers",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in FORUM.rglob("*.py"):
        rel = path.relative_to(FORUM.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if full in MODULES else base))
    return found


def _target_part(target: str) -> str:
    if target == "forum.live.broadcast":
        return "live.broadcast"
    if target == "forum.api.errors":
        return "api.errors"
    return part_of(target, MODULES[target].name)


def allowed(part: str, target_part: str) -> bool:
    """Within a part, or to a part (or the one module of a part, e.g. live.broadcast) its row allows."""
    whole = target_part.split(".")[0]
    return whole == part or target_part in ALLOWED[part] or whole in ALLOWED[part]


def _broken_arrows() -> list[str]:
    broken = []
    for module, path in sorted(MODULES.items()):
        part = part_of(module, path.name)
        for line, target in _imports(module, path):
            where = f"{path.relative_to(FORUM.parent)}:{line}"
            if target in MODULES and target != module:
                if not allowed(part, _target_part(target)):
                    broken.append(f"{where}: {part} imports {target} ({_target_part(target)})")
            elif part in BELOW_THE_EDGES and target.startswith(WEB_LIBRARIES) and (module, target) not in KNOWN:
                broken.append(f"{where}: {part} imports {target}, an HTTP-side library")
    return broken


def test_every_import_follows_the_arrows_of_the_architecture():
    assert _broken_arrows() == []


def test_domain_errors_import_nothing():
    assert _imports("forum.domain_errors", MODULES["forum.domain_errors"]) == []


@pytest.mark.parametrize(
    ("module", "target", "expected"),
    [
        ("forum.ideas.service", "forum.ideas.views", False),
        ("forum.followup.scan", "forum.errors", False),
        ("forum.ideas.service", "forum.live.events", False),
        ("forum.ideas.service", "forum.live.broadcast", True),
        ("forum.errors", "forum.api.errors", True),
        ("forum.api.ideas", "forum.ideas.views", False),
    ],
)
def test_the_check_itself_tells_allowed_arrows_from_broken_ones(module, target, expected):
    assert allowed(part_of(module, MODULES[module].name), _target_part(target)) is expected
