"""The approval workflow rules, on plain objects."""

from __future__ import annotations

import pytest

from schedules.bulletin import Bulletin, BulletinStatus, approve, check_reviewable, reject, submit
from schedules.errors import InvalidTransition, SelfApproval

AUTHOR, REVIEWER = 1, 2
SHA = "c" * 64


def bulletin(status: BulletinStatus = BulletinStatus.DRAFT) -> Bulletin:
    return Bulletin(id=7, commune_id=1, title="T", body="B", author_id=AUTHOR, status=status)


def test_draft_submit_approve() -> None:
    b = bulletin()
    submit(b)
    assert b.status == BulletinStatus.PENDING
    approve(b, REVIEWER, SHA)
    assert (b.status, b.reviewer_id, b.audio_sha256) == (BulletinStatus.APPROVED, REVIEWER, SHA)


def test_author_cannot_approve_or_reject_own_bulletin() -> None:
    b = bulletin(BulletinStatus.PENDING)
    with pytest.raises(SelfApproval):
        check_reviewable(b, AUTHOR)
    with pytest.raises(SelfApproval):
        approve(b, AUTHOR, SHA)
    with pytest.raises(SelfApproval):
        reject(b, AUTHOR, "x")
    assert b.status == BulletinStatus.PENDING and b.audio_sha256 is None


@pytest.mark.parametrize("status", [BulletinStatus.DRAFT, BulletinStatus.REJECTED, BulletinStatus.APPROVED])
def test_only_pending_bulletins_are_reviewed(status: BulletinStatus) -> None:
    with pytest.raises(InvalidTransition):
        approve(bulletin(status), REVIEWER, SHA)


def test_rejected_can_be_resubmitted_but_approved_cannot() -> None:
    b = bulletin(BulletinStatus.PENDING)
    reject(b, REVIEWER, "Thiếu căn cứ")
    assert b.rejection_reason == "Thiếu căn cứ"
    submit(b)
    assert b.status == BulletinStatus.PENDING
    approve(b, REVIEWER, SHA)
    with pytest.raises(InvalidTransition):
        submit(b)
