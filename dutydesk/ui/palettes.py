"""Colours people can read: the window follows the system palette (light, dark, high
contrast) and makes sure every text colour in it stands out from its background by at
least 4.5:1 (WCAG 2.2 AA, success criterion 1.4.3), adjusting only the colours that fall
short. Qt's own light palette, for one, draws placeholder text at half opacity (3.9:1)
and white selected text on a mid blue (3.7:1).

``contrast`` is the WCAG ratio (a colour with alpha is first blended over its
background, as it is drawn). ``readable`` returns the palette with the shortfalls fixed.
``follow_system`` applies it to the application now and whenever the system palette or
colour scheme changes. ``dark_palette`` and ``high_contrast_palette`` are what a desktop
gives in those modes, for the screenshots and the tests.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

AA = 4.5
_MARGIN = 0.1  # aim a little above the line so rounding never lands below it

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# (text, background, which one moves): every pair Qt draws text with.
PAIRS: tuple[tuple[QPalette.ColorRole, QPalette.ColorRole, str], ...] = (
    (Role.WindowText, Role.Window, "fg"),
    (Role.Text, Role.Base, "fg"),
    (Role.Text, Role.AlternateBase, "fg"),
    (Role.ButtonText, Role.Button, "fg"),
    (Role.PlaceholderText, Role.Base, "fg"),
    (Role.HighlightedText, Role.Highlight, "bg"),
    (Role.Link, Role.Base, "fg"),
    (Role.LinkVisited, Role.Base, "fg"),
    (Role.ToolTipText, Role.ToolTipBase, "fg"),
)


def _channel(value: float) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    return (
        0.2126 * _channel(colour.red())
        + 0.7152 * _channel(colour.green())
        + 0.0722 * _channel(colour.blue())
    )


def blended(fore: QColor, back: QColor) -> QColor:
    """``fore`` drawn over ``back`` (alpha composited), as the eye sees it."""
    a = fore.alphaF()
    return QColor.fromRgbF(
        fore.redF() * a + back.redF() * (1 - a),
        fore.greenF() * a + back.greenF() * (1 - a),
        fore.blueF() * a + back.blueF() * (1 - a),
    )


def contrast(fore: QColor, back: QColor) -> float:
    """The WCAG contrast ratio of text ``fore`` on ``back`` (1 to 21)."""
    hi, lo = sorted((luminance(blended(fore, back)), luminance(back)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def separated(moving: QColor, fixed: QColor, *, fore: bool) -> QColor:
    """``moving`` made lighter or darker, keeping its hue, until it reads against
    ``fixed``; the direction with more room wins."""
    moving = blended(moving, fixed) if fore else QColor(moving)
    toward_white = luminance(fixed) < 0.18
    colour = QColor(moving)
    for _ in range(40):
        if contrast(colour, fixed) >= AA + _MARGIN:
            return colour
        colour = colour.lighter(112) if toward_white else colour.darker(112)
        if toward_white and colour.lightness() >= 250:
            return QColor(Qt.GlobalColor.white)
        if not toward_white and colour.lightness() <= 5:
            return QColor(Qt.GlobalColor.black)
    return QColor(Qt.GlobalColor.white if toward_white else Qt.GlobalColor.black)


def readable(palette: QPalette) -> QPalette:
    """``palette`` with every text colour at 4.5:1 or more on its background (the
    disabled group is left alone: WCAG does not ask it of controls that do nothing)."""
    out = QPalette(palette)
    for group in (Group.Active, Group.Inactive):
        for fore_role, back_role, move in PAIRS:
            fore, back = out.color(group, fore_role), out.color(group, back_role)
            if contrast(fore, back) >= AA:
                continue
            if move == "fg":
                out.setColor(group, fore_role, separated(fore, back, fore=True))
            else:
                out.setColor(group, back_role, separated(back, fore, fore=False))
    return out


def shortfalls(palette: QPalette) -> list[str]:
    """The pairs below 4.5:1, named (empty when the palette reads well)."""
    return [
        f"{f.name} on {b.name}: {contrast(palette.color(g, f), palette.color(g, b)):.2f}"
        for g in (Group.Active, Group.Inactive)
        for f, b, _m in PAIRS
        if contrast(palette.color(g, f), palette.color(g, b)) < AA
    ]


def _palette(colours: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, name in colours.items():
        palette.setColor(role, QColor(name))
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(Group.Disabled, role, QColor(disabled_text))
    return palette


def dark_palette() -> QPalette:
    """A dark desktop palette as the common Linux themes give it (before any fixing)."""
    return _palette(
        {
            Role.Window: "#2b2b2b",
            Role.WindowText: "#e6e6e6",
            Role.Base: "#1e1e1e",
            Role.AlternateBase: "#262626",
            Role.Text: "#e6e6e6",
            Role.Button: "#353535",
            Role.ButtonText: "#e6e6e6",
            Role.Highlight: "#3d7ab8",
            Role.HighlightedText: "#ffffff",
            Role.Link: "#3d8fd9",
            Role.LinkVisited: "#a070d0",
            Role.ToolTipBase: "#3a3a3a",
            Role.ToolTipText: "#e6e6e6",
            Role.PlaceholderText: "#80e6e6e6",
            Role.BrightText: "#ff5555",
            Role.Light: "#4a4a4a",
            Role.Midlight: "#3f3f3f",
            Role.Mid: "#2f2f2f",
            Role.Dark: "#1a1a1a",
            Role.Shadow: "#000000",
        },
        disabled_text="#7a7a7a",
    )


def high_contrast_palette() -> QPalette:
    """A high-contrast palette (white and yellow on black) as accessibility settings give."""
    return _palette(
        {
            Role.Window: "#000000",
            Role.WindowText: "#ffffff",
            Role.Base: "#000000",
            Role.AlternateBase: "#101010",
            Role.Text: "#ffffff",
            Role.Button: "#000000",
            Role.ButtonText: "#ffffff",
            Role.Highlight: "#1aebff",
            Role.HighlightedText: "#000000",
            Role.Link: "#ffff00",
            Role.LinkVisited: "#c0c0ff",
            Role.ToolTipBase: "#000000",
            Role.ToolTipText: "#ffffff",
            Role.PlaceholderText: "#c0c0c0",
            Role.BrightText: "#ffff00",
            Role.Light: "#ffffff",
            Role.Midlight: "#c0c0c0",
            Role.Mid: "#808080",
            Role.Dark: "#ffffff",
            Role.Shadow: "#ffffff",
        },
        disabled_text="#a0a0a0",
    )


class _Follower(QObject):
    def __init__(self, app: QGuiApplication) -> None:
        super().__init__(app)
        self.app = app
        self._busy = False
        app.paletteChanged.connect(self.apply)
        app.styleHints().colorSchemeChanged.connect(self.scheme_changed)

    def scheme_changed(self) -> None:
        scheme = self.app.styleHints().colorScheme()
        base = self.app.palette().color(Role.Base)
        if scheme == Qt.ColorScheme.Dark and base.lightness() >= 128:
            self.app.setPalette(dark_palette())  # the style has no dark palette of its own
        elif scheme == Qt.ColorScheme.Light and base.lightness() < 128:
            style = getattr(self.app, "style", None)
            self.app.setPalette(style().standardPalette() if style else QPalette())
        else:
            self.apply()

    def apply(self, *_: object) -> None:
        if self._busy:
            return
        fixed = readable(self.app.palette())
        if fixed == self.app.palette():
            return
        self._busy = True
        try:
            self.app.setPalette(fixed)
        finally:
            self._busy = False


def follow_system(app: QGuiApplication) -> None:
    """Keep the application's palette readable, now and after every system change."""
    if app.property("dutydeskPalette"):
        return
    app.setProperty("dutydeskPalette", True)
    follower = _Follower(app)
    if (
        app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        and app.palette().color(Role.Base).lightness() >= 128
    ):
        app.setPalette(dark_palette())
    follower.apply()
