"""Every keyboard route into one window, and the clashes among them.

A route is a key sequence that does something in a window: an action's shortcut, a
``QShortcut``, or an Alt+letter mnemonic (menu bar titles, buttons, check boxes, group
boxes, tab titles, and labels that have a buddy field). Two routes on the same sequence in
the same window make Qt refuse both ("ambiguous shortcut"), so the person presses a key
and nothing happens. Inside one menu, two entries with the same underlined letter make
the letter cycle instead of choosing.

The F1 help (``help_rows``) and the keyboard tests read this same map, so what the help
says is what Qt sees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QTabBar,
    QWidget,
)

_LOCAL = (Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut)


@dataclass(frozen=True)
class KeyRoute:
    keys: str  # portable text, "Ctrl+Shift+A"
    what: str  # what the person sees: the action or control's text without "&"
    kind: str  # "shortcut", "mnemonic"


def plain(text: str) -> str:
    """Menu or button text as read: without the mnemonic marker or the trailing dots."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def mnemonic(text: str) -> str:
    """``Alt+X`` for a text with ``&X``; empty if it has none."""
    return QKeySequence.mnemonic(text).toString(QKeySequence.SequenceFormat.PortableText)


def _shortcut_routes(window: QWidget) -> list[KeyRoute]:
    actions: dict[int, QAction] = {}
    for act in window.findChildren(QAction):
        owner = act.parent()
        if not isinstance(owner, QWidget) or owner.window() is window:
            actions[id(act)] = act
    for widget in [window, *window.findChildren(QWidget)]:
        if widget is window or widget.window() is window:
            for act in widget.actions():
                actions[id(act)] = act
    out = []
    for act in actions.values():
        if act.isSeparator() or act.shortcutContext() in _LOCAL:
            continue
        for seq in act.shortcuts():
            if not seq.isEmpty():
                out.append(
                    KeyRoute(
                        seq.toString(QKeySequence.SequenceFormat.PortableText),
                        plain(act.text()),
                        "shortcut",
                    )
                )
    for short in window.findChildren(QShortcut):
        parent = short.parent()
        if (
            short.context() in _LOCAL
            or not isinstance(parent, QWidget)
            or parent.window() is not window
            or not short.isEnabled()
        ):
            continue
        for seq in short.keys():  # noqa: SIM118 - QShortcut.keys(), not a dict
            if not seq.isEmpty():
                what = short.whatsThis() or short.objectName() or "keyboard shortcut"
                out.append(
                    KeyRoute(
                        seq.toString(QKeySequence.SequenceFormat.PortableText), what, "shortcut"
                    )
                )
    return out


def _mnemonic_routes(window: QWidget) -> list[KeyRoute]:
    out = []
    texts: list[str] = []
    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton) or (
            isinstance(widget, QLabel) and widget.buddy() is not None
        ):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTabBar):
            texts.extend(widget.tabText(i) for i in range(widget.count()))
    if isinstance(window, QMainWindow) and window.menuWidget() is not None:
        texts.extend(a.text() for a in window.menuBar().actions() if a.isVisible())
    for text in texts:
        keys = mnemonic(text)
        if keys:
            out.append(KeyRoute(keys, plain(text), "mnemonic"))
    return out


def routes(window: QWidget) -> list[KeyRoute]:
    """Every window-wide key route of ``window`` (shortcuts and mnemonics)."""
    return _shortcut_routes(window) + _mnemonic_routes(window)


def clashes(window: QWidget) -> dict[str, list[str]]:
    """Key sequences claimed by more than one thing in ``window``: ``{keys: [what, ...]}``.
    Also one menu's entries sharing an underlined letter (``"File menu: Alt+P"``)."""
    by_keys: dict[str, list[str]] = defaultdict(list)
    for route in routes(window):
        by_keys[route.keys.casefold()].append(f"{route.what} ({route.kind} {route.keys})")
    found = {keys: whats for keys, whats in by_keys.items() if len(whats) > 1}
    for menu in window.findChildren(QMenu):
        letters: dict[str, list[str]] = defaultdict(list)
        for act in menu.actions():
            if act.isVisible() and not act.isSeparator() and mnemonic(act.text()):
                letters[mnemonic(act.text()).casefold()].append(plain(act.text()))
        for keys, whats in letters.items():
            if len(whats) > 1:
                found[f"{plain(menu.title())} menu: {keys}"] = whats
    return found


def help_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """``(menu, action, how to reach it)`` for every entry of every menu in the menu bar:
    its shortcut, else the Alt path through the menus ("Alt+T, then F")."""
    rows = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if not isinstance(menu, QMenu) or not top.isVisible():
            continue
        opener = mnemonic(top.text())
        for act in menu.actions():
            if act.isSeparator() or not act.isVisible():
                continue
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if not keys:
                letter = mnemonic(act.text()).removeprefix("Alt+")
                keys = f"{opener}, then {letter}" if opener and letter else ""
            rows.append((plain(menu.title()), plain(act.text()), keys))
    return rows
