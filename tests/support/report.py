"""The report D06.02 as the tests read it: where its text is, and the text made comparable.

The text is not in the repository: ``../shared/source/`` beside the checkout, or wherever
``IOPGRAPH_REPORT_TEXT`` points (:mod:`support.requirements` says what happens when it is absent).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from support.paths import ROOT

#: The report's text, the single source of truth of the data: ../shared/source/ beside the project,
#: or wherever IOPGRAPH_REPORT_TEXT points.
REPORT_VARIABLE = "IOPGRAPH_REPORT_TEXT"
REPORT = Path(
    os.environ.get(REPORT_VARIABLE) or ROOT.parent / "shared" / "source" / "000_3696df09cd36326f.txt"
)


def normalise_report_text(text: str) -> str:
    """The report as plain text: markdown and footnote markers dropped, whitespace collapsed."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("**", "").replace("*", "").replace("\\", "")
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text)
