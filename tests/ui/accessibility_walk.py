"""Walk what assistive technology sees of a window: every control must have a name and a
role, every text must read against its background at 4.5:1 (WCAG 2.2 AA), and Tab must
go through the controls in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface, QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTextEdit,
    QWidget,
)

from dutydesk.ui.palettes import AA, contrast

A = QAccessible
CONTROLS = {
    A.Role.PushButton,
    A.Role.CheckBox,
    A.Role.RadioButton,
    A.Role.ComboBox,
    A.Role.EditableText,
    A.Role.SpinBox,
    A.Role.Slider,
    A.Role.List,
    A.Role.Table,
    A.Role.Tree,
    A.Role.PageTab,
    A.Role.ButtonMenu,
    A.Role.ButtonDropDown,
    A.Role.Link,
    A.Role.ProgressBar,
}
Role = QPalette.ColorRole


def interfaces(
    iface: QAccessibleInterface | None, depth: int = 0
) -> Iterator[QAccessibleInterface]:
    if iface is None or not iface.isValid() or depth > 40:
        return
    yield iface
    if iface.role() in (A.Role.Table, A.Role.List, A.Role.Tree):
        return  # rows and cells are content, named by their text
    for i in range(iface.childCount()):
        yield from interfaces(iface.child(i), depth + 1)


def _who(iface: QAccessibleInterface) -> str:
    obj: QObject | None = iface.object()
    name = obj.objectName() if obj is not None else ""
    kind = type(obj).__name__ if obj is not None else "?"
    parent = obj.parent() if obj is not None else None
    where = parent.objectName() if isinstance(parent, QObject) else ""
    return f"{kind} {name or '(no object name)'} in {where or '?'}"


def unnamed_controls(window: QWidget) -> list[str]:
    out = []
    for iface in interfaces(QAccessible.queryAccessibleInterface(window)):
        state = iface.state()
        if iface.role() not in CONTROLS or state.invisible or state.offscreen:
            continue
        if not iface.text(A.Text.Name).strip():
            out.append(f"{iface.role().name}: {_who(iface)}")
    return out


def _pairs(widget: QWidget) -> list[tuple[str, QColor, QColor]]:
    p = widget.palette()
    group = QPalette.ColorGroup.Active
    if isinstance(widget, QLabel):
        return (
            [
                (
                    "text",
                    p.color(group, widget.foregroundRole()),
                    p.color(group, widget.backgroundRole()),
                )
            ]
            if widget.text()
            else []
        )
    if isinstance(widget, QAbstractButton):
        return [("text", p.color(group, Role.ButtonText), p.color(group, Role.Button))]
    if isinstance(widget, QComboBox) and not widget.isEditable():
        return [("text", p.color(group, Role.ButtonText), p.color(group, Role.Button))]
    out = []
    if isinstance(widget, (QLineEdit, QComboBox, QAbstractScrollArea)):
        base = p.color(group, Role.Base)
        out.append(("text", p.color(group, Role.Text), base))
        placeholder = (
            widget.placeholderText()
            if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit))
            else ""
        )
        if placeholder:
            out.append(("placeholder", p.color(group, Role.PlaceholderText), base))
    if isinstance(widget, QAbstractItemView):
        out.append(
            ("selected", p.color(group, Role.HighlightedText), p.color(group, Role.Highlight))
        )
        if widget.alternatingRowColors():
            out.append(("alternate", p.color(group, Role.Text), p.color(group, Role.AlternateBase)))
        out += _item_colours(widget, p)
    if isinstance(widget, QTextEdit):
        out.append(("link", p.color(group, Role.Link), p.color(group, Role.Base)))
    return out


def _item_colours(view: QAbstractItemView, p: QPalette) -> list[tuple[str, QColor, QColor]]:
    """Colours the model sets itself (a countdown turning amber, say), on either row shade."""
    model = view.model()
    if model is None:
        return []
    out = []
    for row in range(min(model.rowCount(QModelIndex()), 60)):
        for col in range(
            max(
                1,
                model.columnCount(QModelIndex())
                if hasattr(model, "headerData") and not model.inherits("QAbstractListModel")
                else 1,
            )
        ):
            index = model.index(row, col)
            fore = index.data(Qt.ItemDataRole.ForegroundRole)
            if fore is None:
                continue
            colour = fore.color() if isinstance(fore, QBrush) else QColor(fore)
            back = index.data(Qt.ItemDataRole.BackgroundRole)
            backs = (
                [back.color() if isinstance(back, QBrush) else QColor(back)]
                if back
                else [p.color(Role.Base), p.color(Role.AlternateBase)]
            )
            out += [(f"cell {row},{col}", colour, b) for b in backs]
    return out


def low_contrast(window: QWidget) -> list[str]:
    out = []
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisible() or not widget.isEnabled() or widget.window() is not window:
            continue
        for what, fore, back in _pairs(widget):
            ratio = contrast(fore, back)
            if ratio < AA:
                out.append(
                    f"{type(widget).__name__} {widget.objectName() or '?'} {what}: "
                    f"{fore.name(QColor.NameFormat.HexArgb)} on {back.name()} "
                    f"= {ratio:.2f}"
                )
    return out


def focus_chain(window: QWidget) -> list[QWidget]:
    """The widgets Tab visits, from the first, once round."""
    chain: list[QWidget] = []
    start = window.nextInFocusChain()
    widget = start
    for _ in range(2000):
        if (
            widget.window() is window
            and widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.focusProxy() is None
        ):
            chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is start:
            break
    return chain


def _scroller(widget: QWidget) -> QScrollArea | None:
    """The scroll area a widget is scrolled inside (its place on screen moves)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def _place(widget: QWidget, window: QWidget) -> tuple[int, int]:
    at = widget.mapTo(window, widget.rect().topLeft())
    return at.y(), at.x()


def out_of_reading_order(window: QWidget, slack: int = 8) -> list[str]:
    """Steps of the Tab order that go back up the window without moving to a column
    further right (reading order: down a column, then the next column). The round starts
    at the control nearest the top left, where reading starts."""
    out = []
    chain = focus_chain(window)
    if chain:
        first = min(range(len(chain)), key=lambda i: _place(chain[i], window))
        chain = chain[first:] + chain[:first]
    for a, b in zip(chain, chain[1:], strict=False):
        sa, sb = _scroller(a), _scroller(b)
        if sa is not sb:  # one is inside a scrolled area: compare the area's place
            a = sa if sa is not None else a
            b = sb if sb is not None else b
        ra = a.rect().translated(a.mapTo(window, a.rect().topLeft()))
        rb = b.rect().translated(b.mapTo(window, b.rect().topLeft()))
        up = rb.top() < ra.top() - slack
        left = rb.left() < ra.left() - slack and rb.top() < ra.bottom() - slack
        if (up and rb.left() < ra.right() - slack) or (left and not rb.top() > ra.top()):
            out.append(
                f"{a.objectName() or type(a).__name__} -> {b.objectName() or type(b).__name__}"
            )
    return out
