"""What the JSON API takes and gives: pydantic v2 models, one module per area.

Request bodies are parsed into these before any service sees them (consult.api.registry);
the OpenAPI document is generated from them (consult.api.openapi). Text fields follow the
one table of text rules (consult.domain.textrules), which the web forms use as well.
"""
