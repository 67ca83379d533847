"""The CJK font the charts draw Chinese with, found through matplotlib's font manager or fontconfig, never by path."""
from __future__ import annotations

import functools
import shutil
import subprocess  # nosec B404  # fc-list only, with a fixed argument list and no shell

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

# Debian's fonts-noto-cjk (what `make` installs) first; then other common Simplified Chinese fonts.
FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
            "Droid Sans Fallback", "Noto Serif CJK SC")
INSTALL_HINT = "请安装中文字体：sudo apt-get install fonts-noto-cjk（或以 root 运行 make documents）"


class NoCjkFont(RuntimeError):
    """No font on this machine can draw Simplified Chinese."""

    def __init__(self) -> None:
        super().__init__(f"图表需要中文字体（如 Noto Sans CJK SC），本机未找到。{INSTALL_HINT}")


@functools.cache
def cjk_font() -> FontProperties:
    """The font for every Chinese label of the charts; raises NoCjkFont when there is none."""
    for family in FAMILIES:
        if _known(family):
            return FontProperties(family=family)
    # matplotlib's font list is cached from its first run: a font installed since is found through fontconfig.
    for path, family in _fontconfig_chinese_fonts():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):   # a file FreeType cannot read: try the next
            continue
        if _known(family):
            return FontProperties(family=family)
    raise NoCjkFont()


def _known(family: str) -> bool:
    try:
        font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return True


def _fontconfig_chinese_fonts() -> list[tuple[str, str]]:
    """(file, family) of the fonts fontconfig says cover Simplified Chinese, the preferred families first."""
    program = shutil.which("fc-list")
    if program is None:
        return []
    try:
        # Accepted by bandit: fontconfig's own program, fixed arguments, no shell; nothing from a request reaches it.
        listing = subprocess.run([program, ":lang=zh-cn", "file", "family"], capture_output=True, text=True,  # nosec B603
                                 timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = []
    for line in listing.splitlines():
        path, _, families = line.partition(":")
        for family in families.strip().split(","):
            fonts.append((path.strip(), family.strip()))
    return sorted(fonts, key=lambda font: (font[1] not in FAMILIES, "SC" not in font[1], font[1]))
