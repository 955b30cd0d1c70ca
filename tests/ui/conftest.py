"""Document fixtures for the window tests."""

from tests.document_fixtures import case, documents

__all__ = ["case", "documents"]
