"""Who an outcome letter is written to: named by the window's menu and the print command
without loading the PDF stack that writes the letter."""

from enum import StrEnum


class Audience(StrEnum):
    FAMILY = "family"
    REFERRER = "referrer"
