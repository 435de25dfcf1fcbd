"""Pure-Python text core: normalisation, word diffs and anchors (no Flask, no SQLAlchemy)."""
