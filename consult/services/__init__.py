"""Use cases. Functions take the SQLAlchemy session first, flush and never commit."""
