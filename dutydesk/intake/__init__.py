"""Intake from partners: file formats, validation, import."""
