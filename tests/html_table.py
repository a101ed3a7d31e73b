"""Reading an HTML table back as text, cell by cell (the savings widget's, in the tests that call it)."""

from html.parser import HTMLParser


class Cells(HTMLParser):
    """The text of each table row, by section (thead, tbody, tfoot), and the paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {"thead": [], "tbody": [], "tfoot": []}
        self.paragraphs: list[str] = []
        self._section, self._in_cell, self._in_p = "", False, False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.rows:
            self._section = tag
        elif tag == "tr":
            self.rows[self._section].append([])
        elif tag in {"td", "th"}:
            self._in_cell = True
            self.rows[self._section][-1].append("")
        elif tag == "p":
            self._in_p = True
            self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_cell = self._in_cell and tag not in {"td", "th"}
        self._in_p = self._in_p and tag != "p"

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[self._section][-1][-1] += data
        elif self._in_p:
            self.paragraphs[-1] += data


def parsed(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells
