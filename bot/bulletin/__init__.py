"""HQ's 创城工作通报: a Scoreboard made into a Word document with charts, and a PDF through LibreOffice.

periods.py names the week or month, charts.py draws with matplotlib, layout.py and document.py write the DOCX,
wording.py holds its sentences, pdf.py converts, publish.py writes both files for the CLI and the portal."""
