"""Review residents' category choices and fold the accepted ones into the training corpus."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CategoryCorrection, CorrectionReview, utcnow


def do_review(ids: list[int], verdict: CorrectionReview, *, session: Session) -> int:
    """Set the review verdict (accepted/rejected) on pending or reviewed corrections; folded ones stay."""
    rows = session.scalars(select(CategoryCorrection).where(CategoryCorrection.id.in_(ids),
                                                            CategoryCorrection.review != CorrectionReview.FOLDED)).all()
    for row in rows:
        row.review = verdict
        row.reviewed_at = utcnow()
    return len(rows)


def do_fold_corrections(corpus_path: str | Path, *, session: Session) -> int:
    """Append accepted corrections to the corpus file as new labelled messages, once each."""
    rows = session.scalars(select(CategoryCorrection).where(CategoryCorrection.review == CorrectionReview.ACCEPTED)
                           .order_by(CategoryCorrection.id)).all()
    with open(corpus_path, "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
        for row in rows:
            text = " ".join(row.text.replace("\t", " ").split())
            if text:
                writer.writerow([text, row.chosen_code, ""])
            row.review = CorrectionReview.FOLDED
    return len(rows)
