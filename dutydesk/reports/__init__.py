"""PDF documents (reportlab) written to binary streams, and their verification."""
