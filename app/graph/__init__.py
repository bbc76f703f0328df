"""The graph canvas: drawing model, layouts (Graphviz dot / quick layered), items, view."""
