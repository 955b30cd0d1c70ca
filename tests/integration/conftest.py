"""Document fixtures for the integration suites."""

from tests.document_fixtures import case, documents

__all__ = ["case", "documents"]
