"""HTML as plain text, for sources that put markup in their descriptions (spreadsheet
exports of registers, Dublin Core from repository software): parsed by lxml's HTML parser,
never stripped with a regular expression, so entities are decoded, scripts and styles
dropped, a ``<`` that opens no tag kept, and paragraphs and line breaks stay lines.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

#: Elements that stand apart as paragraphs (an empty line before and after).
BLOCKS = ("p", "ul", "ol", "dl", "table", "section", "article", "header", "footer", "blockquote", "pre", "h1", "h2",
          "h3", "h4", "h5", "h6", "figure")
#: Elements that start a line of their own.
LINES = ("div", "li", "dt", "dd", "tr", "address", "figcaption")
#: Elements whose content is not text a reader sees.
HIDDEN = ("script", "style", "template", "noscript", "head", "title")
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True,
                               default_doctype=False)
#: Where a line or a paragraph starts or ends, while the text is put together (a run of
#: marks is one break: an empty line when a paragraph is among them). Noncharacters, which
#: no record text keeps (`catalogue.records.UNSAFE_CHARACTERS`).
_LINE, _PARAGRAPH = "\ufdd0", "\ufdd1"
_MARKS = re.compile("[\ufdd0\ufdd1](?:\\s*[\ufdd0\ufdd1])*")
_MARKUP = re.compile(r"<[A-Za-z/!]|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")


def has_markup(value: str) -> bool:
    """Whether `value` holds something an HTML parser would change: a tag or an entity."""
    return bool(_MARKUP.search(value))


def _text(value: str) -> str:
    """One pass of the HTML parser over `value`: its text, blocks and ``<br>`` as line breaks."""
    try:
        root = lxml_html.fragment_fromstring(value, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):  # nothing the parser could read: the text as it is
        return value
    for element in list(root.iter(*HIDDEN)):
        element.drop_tree()
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter("td", "th"):
        element.tail = " " + (element.tail or "")
    for names, mark in ((LINES, _LINE), (BLOCKS, _PARAGRAPH)):
        for element in root.iter(*names):
            element.text = mark + (element.text or "")
            element.tail = mark + (element.tail or "")
    return _MARKS.sub(lambda m: "\n\n" if _PARAGRAPH in m.group() else "\n", root.text_content())


def html_to_text(value: str) -> str:
    """The text of an HTML fragment: tags removed, entities decoded, each paragraph, list
    item or ``<br>`` a line of its own, spaces within a line collapsed, at most one empty
    line in a row. HTML that a source escaped once more (``&lt;p&gt;``) is read twice."""
    text = value.replace(_LINE, "").replace(_PARAGRAPH, "")
    for _ in range(2):
        if not has_markup(text):
            break
        text = _text(text)
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
