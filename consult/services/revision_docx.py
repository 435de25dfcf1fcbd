"""A revision as a Word document (python-docx): a title page, headings numbered by the
section keys ("Heading 1" for the top level, as Word's outline and the DOCX import read
them), the bodies' paragraphs and lists, "Seite X von Y" in the footer and the
consultation and revision at the top of every page but the first. The document language
is German (de-DE) with automatic hyphenation; quotes stay as written („…“)."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from flask_babel import gettext as _

from consult.domain.outline import Block
from consult.services.revision_document import PrintedSection, RevisionDocument

LANGUAGE = "de-DE"
#: Word's deepest built-in heading style.
MAX_WORD_HEADING = 9
COVER_STYLE = "Deckblatt"


def to_docx(doc: RevisionDocument) -> bytes:
    """The revision as DOCX bytes. Raises nothing."""
    word = Document()
    _german(word)
    _page_setup(word, doc)
    _cover(word, doc)
    for printed in doc.sections:
        _section(word, printed)
    props = word.core_properties
    props.title = f"{doc.consultation_title} – {doc.revision_label}"
    props.subject = doc.dated_label
    props.language = LANGUAGE
    props.author = ""
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _lang_element(parent: object) -> None:
    """Set w:lang (all three scripts' languages) in an rPr element."""
    r_pr = parent
    lang = r_pr.find(qn("w:lang"))  # type: ignore[attr-defined]
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)  # type: ignore[attr-defined]
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    lang.set(qn("w:bidi"), "ar-SA")


def _german(word: DocxDocument) -> None:
    """German as the language of the document defaults and of the Normal style; automatic
    hyphenation on."""
    styles = word.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    r_pr_default = defaults.find(qn("w:rPrDefault"))
    if r_pr_default is None:
        r_pr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, r_pr_default)
    r_pr = r_pr_default.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        r_pr_default.append(r_pr)
    _lang_element(r_pr)
    _lang_element(word.styles["Normal"].element.get_or_add_rPr())
    normal = word.styles["Normal"].font
    normal.name = "Calibri"
    normal.size = Pt(11)
    settings = word.settings.element
    if settings.find(qn("w:autoHyphenation")) is None:
        hyphenation = OxmlElement("w:autoHyphenation")
        tab_stop = settings.find(qn("w:defaultTabStop"))  # its place in the schema's order
        if tab_stop is not None:
            tab_stop.addnext(hyphenation)
        else:
            settings.append(hyphenation)
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), LANGUAGE)
    cover = word.styles.add_style(COVER_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cover.base_style = word.styles["Normal"]
    cover.font.size = Pt(14)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word computes."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _page_setup(word: DocxDocument, doc: RevisionDocument) -> None:
    """A4, margins, running header (not on the title page), "Seite X von Y"."""
    section = word.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = f"{doc.consultation_title} – {doc.revision_label}"
    header.runs[0].font.size = Pt(9)
    footer = section.footer.paragraphs[0]
    footer.add_run(_("Seite") + " ")
    _field(footer, "PAGE")
    footer.add_run(" " + _("von") + " ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(9)


def _cover(word: DocxDocument, doc: RevisionDocument) -> None:
    """The title page: the consultation, the revision and its date, its status."""
    for _n in range(6):
        word.add_paragraph("", style=COVER_STYLE)
    title = word.add_paragraph(style=COVER_STYLE)
    run = title.add_run(doc.consultation_title)
    run.bold = True
    run.font.size = Pt(24)
    word.add_paragraph(doc.dated_label, style=COVER_STYLE)
    word.add_paragraph(_("Status: %(status)s", status=doc.status_label), style=COVER_STYLE)
    word.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


def _lines(paragraph: Paragraph, text: str) -> None:
    """Text whose line breaks stay line breaks (within one paragraph)."""
    for index, line in enumerate(text.split("\n")):
        if index:
            paragraph.add_run().add_break(WD_BREAK.LINE)
        paragraph.add_run(line)


def _section(word: DocxDocument, printed: PrintedSection) -> None:
    section = printed.section
    word.add_heading(section.heading, level=min(section.depth + 1, MAX_WORD_HEADING))
    for kind, group in printed.groups:
        for block in group:
            _block(word, kind, block)


def _block(word: DocxDocument, kind: str, block: Block) -> None:
    if kind == "ul":
        _lines(word.add_paragraph(style="List Bullet"), block.text)
        return
    if kind == "ol":
        item = word.add_paragraph()  # the number as written (a Word list would renumber)
        item.paragraph_format.left_indent = Cm(0.9)
        item.paragraph_format.first_line_indent = Cm(-0.9)
        item.add_run(f"{block.number}. ")
        _lines(item, block.text)
        return
    _lines(word.add_paragraph(), block.text)
