"""Renders a `tmux capture-pane -e` dump (text with SGR colour codes) to a PNG.

Usage: ansi2png.py INPUT OUTPUT COLUMNS ROWS
"""
import sys

import pyte
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
# DejaVu Sans Mono has no Braille Patterns (the charts' dots); DejaVu Sans has them.
BRAILLE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIZE = 15
PALETTE = {
    "default": None, "black": (30, 30, 30), "red": (231, 76, 60), "green": (46, 204, 113),
    "brown": (241, 196, 15), "yellow": (241, 196, 15), "blue": (52, 152, 219),
    "magenta": (155, 89, 182), "cyan": (26, 188, 156), "white": (220, 220, 220),
    "brightblack": (128, 128, 128), "brightwhite": (255, 255, 255),
}
FG = (220, 220, 220)
BG = (24, 26, 31)


def color(name, default):
    if name in PALETTE and PALETTE[name] is not None:
        return PALETTE[name]
    if isinstance(name, str) and len(name) == 6:
        try:
            return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default


def main():
    src, dst, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    text = open(src, encoding="utf-8", errors="replace").read()
    stream.feed(text.rstrip("\n").replace("\n", "\r\n"))
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(BOLD, SIZE)
    braille = ImageFont.truetype(BRAILLE, SIZE)
    left, top, right, bottom = font.getbbox("M")
    cw = font.getlength("M")
    ch = int(SIZE * 1.25)
    img = Image.new("RGB", (int(cw * cols) + 16, ch * rows + 16), BG)
    draw = ImageDraw.Draw(img)
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            c = line[x]
            fg = color(c.fg, FG)
            bg = color(c.bg, BG)
            if c.reverse:
                fg, bg = (bg if bg != BG else BG), (fg if fg != FG else FG)
            px, py = 8 + x * cw, 8 + y * ch
            if bg != BG:
                draw.rectangle([px, py, px + cw, py + ch], fill=bg)
            if c.data.strip():
                f = braille if c.data and 0x2800 <= ord(c.data[0]) <= 0x28FF else (bold if c.bold else font)
                draw.text((px, py + 1), c.data, font=f, fill=fg)
    img.save(dst)


if __name__ == "__main__":
    main()
