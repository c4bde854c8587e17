import pandas as pd
import pytest

from attachstats.output.apa import html, latex, markdown, table_model, write_docx

DF = pd.DataFrame({"model": ["dep", "dep"], "term": ["(Intercept)", "ecr_anxiety"], "b": [0.758, 1.3637],
                   "se": [0.669, 0.1197], "ci_lo": [-0.5535, 1.129], "ci_hi": [2.0696, 1.5985],
                   "beta": [float("nan"), 0.3121], "stat": [1.13, 11.4], "p": [0.257, 7.5e-29], "n": [1427, 1427]})


def test_table_model_apa_style():
    m = table_model(DF, "regressions", number=2)
    assert m.columns == ["Model", "Term", "b", "SE", "95% CI", "β", "t", "p", "n"]
    assert m.rows[1] == ["dep", "ecr_anxiety", "1.36", "0.12", "[1.13, 1.60]", ".31", "11.40", "< .001", "1,427"]
    assert m.rows[0][5] == "" and m.rows[0][4] == "[\u22120.55, 2.07]"
    assert m.numeric == [False, False, True, True, True, True, True, True, True]
    assert "HC3" in m.note


def test_markdown_latex_html_writers():
    m = table_model(DF, "regressions", number=2)
    md = markdown(m)
    assert md.startswith("**Table 2**\n\n*Outcome models") and "| dep | ecr_anxiety | 1.36 |" in md
    assert "*Note.* b = unstandardised" in md
    tex = latex(m)
    assert r"\toprule" in tex and r"\bottomrule" in tex and "|" not in tex.split(r"\begin{tabular}")[1][:20]
    assert r"ecr\_anxiety" in tex and r"$<$ .001" in tex and r"$\beta$" in tex
    h = html(m)
    assert "<caption><strong>Table 2.</strong> Outcome models" in h and "&lt; .001" in h and "<em>Note.</em>" in h


def test_docx_reads_back_with_apa_layout(tmp_path):
    docx = pytest.importorskip("docx")
    path = tmp_path / "t.docx"
    write_docx(table_model(DF, "regressions", number=2), path)
    doc = docx.Document(str(path))
    paras = [p for p in doc.paragraphs if p.text]
    assert paras[0].text == "Table 2" and paras[0].runs[0].bold
    assert paras[1].runs[0].italic and paras[1].text.startswith("Outcome models")
    assert paras[-1].text.startswith("Note. ") and paras[-1].runs[0].italic
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == ["Model", "Term", "b", "SE", "95% CI", "β", "t", "p", "n"]
    assert t.cell(2, 7).text == "< .001"
    xml = t._tbl.xml
    assert 'w:left w:val="nil"' in xml and 'w:right w:val="nil"' in xml and 'w:left w:val="single"' not in xml
    second = tmp_path / "t2.docx"
    import time
    time.sleep(2.1)   # zip entries store times with 2-second resolution
    write_docx(table_model(DF, "regressions", number=2), second)
    assert path.read_bytes() == second.read_bytes()


def test_a_block_heading_row_is_as_tall_as_a_row_of_cells_in_any_document() -> None:
    """In the manuscript (Normal style 12 pt with Word's spacing) a step heading of a regression
    table printed as a blank line and a half; its paragraph is set like the cells' now."""
    import docx
    from docx.shared import Pt

    from attachstats.output.apa import TableModel, add_docx_table

    doc = docx.Document()
    doc.styles["Normal"].font.size = Pt(12)
    doc.styles["Normal"].paragraph_format.space_after = Pt(10)
    m = TableModel("t", "T", ["Predictor", "b"], [["", ""], ["Age", "0.10"]], [False, True], number=1,
                   spans={0: "Step 1"})
    add_docx_table(doc, m)
    span = doc.tables[0].rows[1].cells[0].paragraphs[0]
    cell = doc.tables[0].rows[2].cells[0].paragraphs[0]
    assert span.text == "Step 1"
    assert span.paragraph_format.space_after == cell.paragraph_format.space_after == Pt(1)
    assert span.paragraph_format.line_spacing == 1.0
    sizes = span._p.pPr.xpath("./w:rPr/w:sz/@w:val")
    assert sizes and sizes == cell._p.pPr.xpath("./w:rPr/w:sz/@w:val")


def test_a_short_word_table_stays_on_one_page_and_no_row_splits() -> None:
    """In the ecr-open manuscript a 2-row correlation table broke after its first row."""
    import docx

    from attachstats.output.apa import KEEP_TOGETHER_ROWS, TableModel, add_docx_table

    doc = docx.Document()
    short = TableModel("s", "S", ["Variable", "M"], [["A", "1.00"], ["B", "2.00"]], [False, True], number=1)
    long = TableModel("l", "L", ["Variable", "M"], [[f"V{i}", "1.00"] for i in range(KEEP_TOGETHER_ROWS + 5)],
                      [False, True], number=2)
    add_docx_table(doc, short)
    add_docx_table(doc, long)
    keep = [[c.paragraphs[0].paragraph_format.keep_with_next for c in r.cells] for r in doc.tables[0].rows]
    assert keep == [[True, True], [True, True], [False, False]]
    assert not any(c.paragraphs[0].paragraph_format.keep_with_next for r in doc.tables[1].rows for c in r.cells)
    assert all(r._tr.trPr.xpath("./w:cantSplit") for t in doc.tables for r in t.rows)
