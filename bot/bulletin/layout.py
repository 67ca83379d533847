"""The 通报's page and type in python-docx: A4, red masthead, headings, body, tables, figures, page numbers.

After GB/T 9704 (党政机关公文格式): margins 37/35/28/26 mm, a red masthead over a red rule, body 3号 (16 pt) on
28 pt lines with two characters' indent, headings 3号 in a 黑体, page numbers 4号 as "— 1 —". The fonts are
Debian's Noto CJK (what the PDF is rendered with; Word substitutes its own where they are missing); change them
here for 仿宋_GB2312 etc."""
from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.text.font import CT_RPr
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

SONG = "Noto Serif CJK SC"       # title, body (宋/仿宋 in a printed 公文)
HEI = "Noto Sans CJK SC"         # headings and tables (黑体)
RED = RGBColor(0xC0, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
BODY = Pt(16)
TABLE_TEXT = Pt(9)
TEXT_WIDTH = Mm(210 - 28 - 26)
HEADER_FILL = "D9E2F3"
# What may follow w:pBdr in a paragraph's properties (ECMA-376 order; Word refuses a file that breaks it).
PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                     "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                     "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def new_bulletin(title: str, author: str) -> Document:
    """An empty A4 document with the 通报's page, styles and page numbers."""
    document = new_document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _style_font(normal, SONG, BODY)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    heading = document.styles["Heading 1"]
    assert isinstance(heading, ParagraphStyle)
    _style_font(heading, HEI, BODY, bold=False)
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(6), Pt(0)
    heading.paragraph_format.first_line_indent = Pt(32)
    heading.paragraph_format.keep_with_next = True
    _page_numbers(section.footer.paragraphs[0])
    document.core_properties.title, document.core_properties.author = title, author
    return document


def masthead(document: Document, title: str, period_name: str, issuer: str, issued: str) -> None:
    """The red title, the period in brackets, then issuer and date over a red rule."""
    heading = _centred(document, title, size=Pt(30), face=SONG, bold=True, colour=RED, spacing=Pt(44))
    heading.paragraph_format.space_before = Pt(6)
    _centred(document, f"（{period_name}）", size=BODY, face=SONG)
    line = document.add_paragraph()
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    line.paragraph_format.space_before = Pt(12)
    font(line.add_run(f"{issuer}\t{issued}"), SONG, BODY)
    _rule_under(line)


def heading(document: Document, text: str) -> None:
    """A first-level heading such as 一、总体情况 (Word's Heading 1, so it shows in the navigation pane)."""
    paragraph = document.add_paragraph(style="Heading 1")
    font(paragraph.add_run(text), HEI, BODY, bold=False)


def body(document: Document, text: str, *, indent: bool = True) -> Paragraph:
    """A paragraph of body text, the first line indented by two characters."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    font(paragraph.add_run(text), SONG, BODY)
    return paragraph


def note(document: Document, text: str) -> None:
    """Small print under a table: how a figure is counted."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.line_spacing = Pt(16)
    paragraph.paragraph_format.space_before = Pt(3)
    font(paragraph.add_run(text), SONG, Pt(10.5))


def table(document: Document, header: Sequence[str], rows: Sequence[Sequence[str]], widths_mm: Sequence[float],
          *, left_columns: Sequence[int] = ()) -> Table:
    """A bordered table with a shaded header repeated on each page; cells centred except left_columns."""
    grid: Table = document.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    scale = TEXT_WIDTH / Mm(sum(widths_mm))
    widths = [Mm(width * scale) for width in widths_mm]
    for index, column in enumerate(grid.columns):
        column.width = widths[index]
    for row_index, values in enumerate([header, *rows]):
        row = grid.rows[row_index]
        if row_index == 0:
            _repeat_as_header(row._tr)
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = widths[index]
            _cell_text(cell, value, bold=row_index == 0, left=row_index > 0 and index in left_columns)
            if row_index == 0:
                _shade(cell, HEADER_FILL)
    _cell_margins(grid, Mm(0.6))
    document.add_paragraph().paragraph_format.line_spacing = Pt(8)   # a little air under the table
    return grid


def figure(document: Document, png: bytes, caption: str) -> None:
    """A chart, as wide as the text, with its caption under it."""
    document.add_picture(io.BytesIO(png), width=Mm(150))
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    picture.paragraph_format.keep_with_next = True
    _centred(document, caption, size=Pt(12), face=HEI)


def signature(document: Document, issuer: str, issued: str) -> None:
    """The issuer and date at the end, right-aligned, with a blank line before; never alone on a page."""
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    document.add_paragraph().paragraph_format.keep_with_next = True
    for text in (issuer, issued):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(32)
        paragraph.paragraph_format.keep_with_next = text == issuer
        font(paragraph.add_run(text), SONG, BODY)


def annex(document: Document, title: str) -> None:
    """A new page headed 附件 at the left and the annex's title centred."""
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    font(document.add_paragraph().add_run("附件"), HEI, BODY)
    _centred(document, title, size=Pt(22), face=SONG, bold=True, spacing=Pt(40))


def font(run: Run, name: str, size: Pt, *, bold: bool = False, colour: RGBColor = BLACK) -> Run:
    """Set a run's Latin and East Asian font (python-docx's font.name sets only the Latin one)."""
    run.font.name, run.font.size, run.font.bold = name, size, bold
    run.font.color.rgb = colour
    _east_asian(run._element.get_or_add_rPr(), name)
    return run


def _style_font(style: ParagraphStyle, name: str, size: Pt, *, bold: bool | None = None) -> None:
    style.font.name, style.font.size, style.font.color.rgb = name, size, BLACK
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    _east_asian(rpr, name)
    if rpr.find(qn("w:lang")) is None:   # Chinese proofing and punctuation; lang comes last but one in rPr
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)


def _east_asian(rpr: CT_RPr, name: str) -> None:
    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):   # a theme font would win
        fonts.attrib.pop(qn(theme), None)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _centred(document: Document, text: str, *, size: Pt, face: str, bold: bool = False,
             colour: RGBColor = BLACK, spacing: Pt | None = None) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if spacing is not None:
        paragraph.paragraph_format.line_spacing = spacing
    font(paragraph.add_run(text), face, size, bold=bold, colour=colour)
    return paragraph


def _cell_text(cell: _Cell, text: str, *, bold: bool, left: bool) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Pt(0)
    font(paragraph.add_run(text), HEI, TABLE_TEXT, bold=bold)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header(row: CT_Row) -> None:
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row.get_or_add_trPr().append(marker)


def _cell_margins(grid: Table, margin: Mm) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(int(margin.twips)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    look = grid._tbl.tblPr.find(qn("w:tblLook"))   # the schema's order: cell margins come before tblLook
    if look is None:
        grid._tbl.tblPr.append(margins)
    else:
        look.addprevious(margins)


def _rule_under(paragraph: Paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *PPR_AFTER_BORDERS)


def _page_numbers(paragraph: Paragraph) -> None:
    """— PAGE — centred in the footer, as a field Word and LibreOffice fill in."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(paragraph.add_run("— "), SONG, Pt(14))
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = font(paragraph.add_run(), SONG, Pt(14))
        if kind:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        else:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
    font(paragraph.add_run(" —"), SONG, Pt(14))
