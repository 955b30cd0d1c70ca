"""Management information and statutory exports (Annex A)."""
