"""`civicbot staff` and `civicbot department`: portal accounts (create, passwords, roles, deactivation, login delays,
TOTP), the demo accounts, WeChat and WeCom of staff, and the departments' API tokens. Each action is the same
service function the portal's 账号管理 calls (bot/cases/accounts.py), recorded as done by "cli"."""
from __future__ import annotations

import os

import click

from bot.cli_support import sessions_for as _sessions
from bot.cli_support import settings_or_exit as _settings
from bot.infra.db import transaction
from models import utcnow


@click.group()
def staff() -> None:
    """Portal accounts for department, town office and HQ staff."""


def _account(session, username: str):
    from bot.cases.accounts import COMMAND_LINE, NotManaged, managed_account

    try:
        return managed_account(COMMAND_LINE, username, session=session)
    except NotManaged:
        raise click.ClickException(f"no account {username!r}") from None


def _run(work) -> None:
    """Run work(session) in one transaction; a refusal (StaffError) is the command's error message."""
    from bot.cases.staff import StaffError

    try:
        with transaction(_sessions(_settings())) as session:
            work(session)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc


@staff.command("add")
@click.argument("username")
@click.option("--department", "department_code", required=True, help="Department code, e.g. urban_mgmt or hq.")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--name", "display_name", default="", help="Name shown in the portal and the audit trail.")
@click.password_option(help="At least 10 characters (asked when not given).")
def staff_add(username: str, department_code: str, role: str, display_name: str, password: str) -> None:
    """Create a portal account (an HQ admin enrols TOTP at the first login)."""
    from bot.cases.accounts import COMMAND_LINE, do_create_account

    _run(lambda session: do_create_account(COMMAND_LINE, username, department_code, role, utcnow(),
                                           session=session, display_name=display_name, password=password))
    click.echo(f"created {role} account {username} for {department_code}")


@staff.command("passwd")
@click.argument("username")
@click.password_option(help="At least 10 characters (asked when not given).")
def staff_passwd(username: str, password: str) -> None:
    """Set a new password (also ends every portal session of the account)."""
    from bot.cases.accounts import COMMAND_LINE, do_reset_password

    _run(lambda session: do_reset_password(COMMAND_LINE, _account(session, username), utcnow(), session=session,
                                           password=password))
    click.echo(f"password changed for {username}")


@staff.command("deactivate")
@click.argument("username")
def staff_deactivate(username: str) -> None:
    """Stop an account: no portal login, no WeChat commands or notices (its WeChat is unbound)."""
    from bot.cases.accounts import COMMAND_LINE, do_set_active

    _run(lambda session: do_set_active(COMMAND_LINE, _account(session, username), False, utcnow(), session=session))
    click.echo(f"deactivated {username}")


@staff.command("reactivate")
@click.argument("username")
def staff_reactivate(username: str) -> None:
    """Let a deactivated account log in again (with its old password; WeChat must be bound again)."""
    from bot.cases.accounts import COMMAND_LINE, do_set_active

    _run(lambda session: do_set_active(COMMAND_LINE, _account(session, username), True, utcnow(), session=session))
    click.echo(f"reactivated {username}")


@staff.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["staff", "admin"]))
def staff_role(username: str, role: str) -> None:
    """Make an account staff or admin (its sessions end; the last HQ admin cannot be demoted)."""
    from bot.cases.accounts import COMMAND_LINE, do_set_role

    _run(lambda session: do_set_role(COMMAND_LINE, _account(session, username), role, utcnow(), session=session))
    click.echo(f"{username} is now {role}")


@staff.command("unlock")
@click.argument("username")
def staff_unlock(username: str) -> None:
    """Clear the account's login delays (解除登录限制); the guessing addresses keep theirs."""
    from bot.cases.accounts import COMMAND_LINE, do_clear_login_delays
    from bot.infra.db import make_engine
    from bot.infra.shared_state import make_shared_store

    settings = _settings()
    store = make_shared_store(settings, make_engine(settings))
    _run(lambda session: do_clear_login_delays(COMMAND_LINE, _account(session, username), utcnow(),
                                               session=session, store=store))
    click.echo(f"login delays of {username} cleared")


@staff.command("totp-reset")
@click.argument("username")
def staff_totp_reset(username: str) -> None:
    """Remove the account's TOTP (a lost phone): it enrols again at its next login if it must have one."""
    from bot.cases.accounts import COMMAND_LINE, do_reset_totp

    _run(lambda session: do_reset_totp(COMMAND_LINE, _account(session, username), utcnow(), session=session))
    click.echo(f"two-factor authentication of {username} reset")


@staff.command("demo")
def staff_demo() -> None:
    """Demo accounts follow portal.demo_accounts: on, one per department is made and its password shown once;
    off, every demo account is deactivated."""
    from bot.cases.staff import do_add_demo_accounts, do_retire_demo_accounts

    settings = _settings()
    record = os.path.join(settings.var_dir, "demo-accounts.txt")
    if not settings.portal.demo_accounts:
        with transaction(_sessions(settings)) as session:
            retired = do_retire_demo_accounts(utcnow(), session=session)
        if os.path.exists(record):
            os.remove(record)   # its passwords open nothing now
        click.echo("portal.demo_accounts is off: no demo accounts"
                   + (f"; deactivated {', '.join(retired)}" if retired else ""))
        return
    with transaction(_sessions(settings)) as session:
        lines = [f"{username}\t{password}\t{name}"
                 for username, password, name in do_add_demo_accounts(utcnow(), session=session)]
    if not lines:
        click.echo(f"DEMO portal accounts exist; their passwords were shown when they were made and are kept "
                   f"(readable by you alone) in {record}")
    else:
        os.makedirs(settings.var_dir, exist_ok=True)
        # Made readable by its owner alone from the first byte (no window with the umask's mode).
        descriptor = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(record, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        # On the terminal only, never through logging: the passwords must not reach a log collector.
        click.echo("DEMO portal accounts (one per department; demo only — turn portal.demo_accounts off before real "
                   f"use), shown this once and kept in {record}:")
        click.echo("\n".join(lines))
    click.echo(f"Portal: {settings.server.public_url}/portal/")


@staff.command("wecom")
@click.argument("username")
@click.argument("userid", default="")
def staff_wecom(username: str, userid: str) -> None:
    """Set the account's 企业微信 userid (empty: none), for the WeCom application's notices."""
    with transaction(_sessions(_settings())) as session:
        _account(session, username).wecom_userid = userid.strip()
    click.echo(f"WeCom userid of {username}: {userid.strip() or '(none)'}")


@click.group()
def department() -> None:
    """Department accounts: the API tokens of /api/v1."""


@department.command("token")
@click.argument("code")
@click.option("--note", default="civicbot department token", show_default=True, help="What the token is for.")
def department_token(code: str, note: str) -> None:
    """Create an API token for department CODE (shown once) for /api/v1 (see /api/v1/openapi.json)."""
    from bot.cases.accounts import do_issue_token

    settings = _settings()
    try:
        with transaction(_sessions(settings)) as session:
            token = do_issue_token(code, session=session, note=note)
    except LookupError:
        raise click.BadParameter(f"no department with code {code!r}", param_hint="CODE") from None
    click.echo(token)


@department.command("tokens")
@click.argument("code", required=False)
def department_tokens(code: str | None) -> None:
    """List API tokens (of department CODE, or all): id, department, created, last used, revoked, note."""
    from bot.cases.accounts import COMMAND_LINE, list_tokens

    with transaction(_sessions(_settings())) as session:
        rows = [token for token in list_tokens(COMMAND_LINE, session=session)
                if code is None or token.department_code == code]

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") + "Z" if moment else "-"

    for token in rows:
        click.echo(f"{token.id:>4}  {token.department_code:<16} created {when(token.created_at)}  "
                   f"last used {when(token.last_used_at)}  "
                   f"{'REVOKED ' + when(token.revoked_at) if token.revoked_at else 'active'}  {token.note}")
    click.echo(f"{len(rows)} token(s)")


@department.command("revoke")
@click.argument("token_id", type=int)
def department_revoke(token_id: int) -> None:
    """Revoke API token TOKEN_ID (see `civicbot department tokens`): its next request is refused."""
    from bot.cases.accounts import COMMAND_LINE, do_revoke_token

    _run(lambda session: do_revoke_token(COMMAND_LINE, token_id, utcnow(), session=session))
    click.echo(f"token {token_id} revoked")
