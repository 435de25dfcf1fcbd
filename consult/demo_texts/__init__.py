"""Texts of the demo consultation (written for this project, not taken from real papers)."""

from importlib.resources import files


def read(name: str) -> str:
    """The demo text ``name`` (a Markdown file beside this module)."""
    return files(__package__).joinpath(name).read_text(encoding="utf-8")
