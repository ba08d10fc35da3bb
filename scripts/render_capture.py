#!/usr/bin/env python3
"""Draws a `tmux capture-pane -p -e` capture (ANSI colours) on a fixed cell grid as a PNG.

usage: render_capture.py CAPTURE.ans OUT.png COLS ROWS [light]

`light` draws the terminal's default background and text as a light terminal does (for the light theme).
"""
import sys

from PIL import Image, ImageDraw, ImageFont
from rich.text import Text

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
BG = (18, 18, 18)
FG = (220, 220, 220)


def rgb(color, default):
    if color is None or color.is_default:
        return default
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def main():
    global BG, FG
    src, out, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if len(sys.argv) > 5 and sys.argv[5] == "light":
        BG, FG = (250, 250, 250), (30, 30, 30)
    size = 16
    font = ImageFont.truetype(FONT, size)
    bold = ImageFont.truetype(BOLD, size)
    cw = int(font.getlength("M"))
    ch = size + 4
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    draw = ImageDraw.Draw(img)
    lines = open(src, encoding="utf-8", errors="replace").read().split("\n")[:rows]
    for y, line in enumerate(lines):
        text = Text.from_ansi(line)
        x = 0
        for span_text, style in _cells(text):
            for c in span_text:
                if x >= cols:
                    break
                fg = rgb(style.color if style else None, FG)
                bg = rgb(style.bgcolor if style else None, BG)
                if style is not None and style.reverse:
                    fg, bg = bg, fg
                px, py = 8 + x * cw, 8 + y * ch
                if bg != BG:
                    draw.rectangle([px, py, px + cw, py + ch], fill=bg)
                f = bold if style is not None and style.bold else font
                draw.text((px, py + 1), c, font=f, fill=fg)
                x += 1
    img.save(out)


def _cells(text):
    """(characters, style) runs of a rich Text, in order."""
    from rich.style import Style

    plain = text.plain
    styles = [Style.null()] * len(plain)
    for span in text.spans:
        st = span.style if isinstance(span.style, Style) else Style.parse(span.style)
        for i in range(span.start, min(span.end, len(plain))):
            styles[i] = styles[i] + st
    run, cur = "", None
    for ch_, st in zip(plain, styles):
        if cur is not None and st != cur:
            yield run, cur
            run = ""
        run += ch_
        cur = st
    if run:
        yield run, cur


if __name__ == "__main__":
    main()
