"""The accounts' audit trail: one account_events row for each thing done to an account or an API token."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AccountEvent

# What the portal's trail says for each action.
# Labels of actions, not secrets: bandit's B105 reads "password"/"token" in the keys as hard-coded passwords.
ACTION_NAMES = {  # nosec B105
    "created": "创建账号", "deactivated": "停用账号", "reactivated": "恢复账号", "password_reset": "重置密码",
    "password_set": "修改密码", "role_changed": "调整角色", "login_delays_cleared": "解除登录限制",
    "totp_enabled": "开启两步验证", "totp_disabled": "关闭两步验证", "totp_reset": "重置两步验证",
    "token_issued": "新建接口令牌", "token_revoked": "停用接口令牌", "demo_deactivated": "停用演示账号",
    "demo_reactivated": "恢复演示账号", "open311_key_issued": "新建 Open311 密钥",
    "open311_key_revoked": "停用 Open311 密钥",
}


def record_account_event(actor: str, target: str, action: str, *, department_code: str, now: datetime,
                         session: Session, detail: str = "") -> AccountEvent:
    """Write who (staff:NAME or cli) did what to which account; never a password or a secret in detail."""
    event = AccountEvent(actor=actor, target=target, action=action, department_code=department_code, at=now,
                         detail=detail)
    session.add(event)
    return event


def account_events(*, session: Session, department_code: str | None = None, target: str | None = None,
                   limit: int = 50) -> list[AccountEvent]:
    """The newest events first: of one department (None: all), or about one account or token."""
    query = select(AccountEvent).order_by(AccountEvent.at.desc(), AccountEvent.id.desc()).limit(limit)
    if department_code is not None:
        query = query.where(AccountEvent.department_code == department_code)
    if target is not None:
        query = query.where(AccountEvent.target == target)
    return list(session.scalars(query))
