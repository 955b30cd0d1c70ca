"""``dutydesk print``: the command loader imports sub-commands by name; the code lives in
``print_`` so that the module's name does not shadow the built-in inside the package."""

from .print_ import add_arguments, run

__all__ = ["add_arguments", "run"]
