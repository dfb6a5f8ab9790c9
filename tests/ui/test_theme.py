"""The README's promise (issue 15.12): Ctrl+p, "theme", offers a high-contrast theme, and it is one."""

from __future__ import annotations

from textual.color import Color

from jhe_tui.themes import HIGH_CONTRAST

SIZE = (100, 30)


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(colour: str) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = Color.parse(colour).rgb
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_of_the_high_contrast_theme_meets_wcag_aaa_on_its_background():
    for colour in (HIGH_CONTRAST.foreground, HIGH_CONTRAST.primary, HIGH_CONTRAST.secondary, HIGH_CONTRAST.accent,
                   HIGH_CONTRAST.warning, HIGH_CONTRAST.error, HIGH_CONTRAST.success):
        assert contrast(colour, HIGH_CONTRAST.background) >= 7, colour
    assert contrast(HIGH_CONTRAST.foreground, HIGH_CONTRAST.panel) >= 7


async def test_the_palette_switches_to_the_high_contrast_theme(make_app, settle):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"theme", "enter")
        await settle(pilot)
        await pilot.press(*"high-contrast")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "high-contrast"
        assert app.screen.styles.background == Color.parse(HIGH_CONTRAST.background)


def test_every_text_of_the_high_contrast_theme_stays_readable_with_16_colours():
    """On a 16-colour terminal (TERM=xterm, the Linux console) each colour falls to the nearest ANSI
    one: text, disabled text included, must still read against the backgrounds it is drawn on."""
    from rich.color import STANDARD_PALETTE, ColorSystem
    from rich.color import Color as RichColor

    variables = HIGH_CONTRAST.to_color_system().generate()
    black = Color.parse(HIGH_CONTRAST.background)

    def at_16(name: str) -> str:
        r, g, b = (black + Color.parse(variables[name])).rgb
        triplet = STANDARD_PALETTE[RichColor.from_rgb(r, g, b).downgrade(ColorSystem.STANDARD).number]
        return Color(*triplet).hex

    for text in ("foreground", "primary", "secondary", "accent", "warning", "error", "success",
                 "foreground-muted", "foreground-disabled", "footer-key-foreground"):
        for background in ("background", "panel", "footer-background"):
            assert contrast(at_16(text), at_16(background)) >= 4.5, (text, background)
    for marked in ("primary-muted", "block-cursor-background"):  # the focused input, the table cursor
        assert at_16(marked) != at_16("background"), marked
    assert contrast(at_16("foreground"), at_16("primary-muted")) >= 4.5
