"""`civicbot staff`: portal accounts for department, town office and HQ staff, their WeChat binding and WeCom userid."""
from __future__ import annotations

import os

import click

from bot.cli_support import sessions_for as _sessions
from bot.cli_support import settings_or_exit as _settings
from bot.infra.db import transaction


@click.group()
def staff() -> None:
    """Portal accounts for department, town office and HQ staff."""


@staff.command("add")
@click.argument("username")
@click.option("--department", "department_code", required=True, help="Department code, e.g. urban_mgmt or hq.")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--name", "display_name", default="", help="Name shown in the portal and the audit trail.")
@click.password_option(help="At least 10 characters (asked when not given).")
def staff_add(username: str, department_code: str, role: str, display_name: str, password: str) -> None:
    """Create a portal account."""
    from bot.cases.staff import StaffError, do_add_staff

    settings = _settings()
    try:
        with transaction(_sessions(settings)) as session:
            do_add_staff(username, department_code, role, password, session=session, display_name=display_name)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} account {username} for {department_code}")


@staff.command("passwd")
@click.argument("username")
@click.password_option(help="At least 10 characters (asked when not given).")
def staff_passwd(username: str, password: str) -> None:
    """Set a new password (also ends every portal session of the account)."""
    from bot.cases.staff import StaffError, do_set_password

    settings = _settings()
    try:
        with transaction(_sessions(settings)) as session:
            do_set_password(username, password, session=session)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password changed for {username}")


@staff.command("demo")
def staff_demo() -> None:
    """Create one demo account per department (when portal.demo_accounts is on) and print the passwords."""
    from bot.cases.staff import do_add_demo_accounts

    settings = _settings()
    if not settings.portal.demo_accounts:
        click.echo("portal.demo_accounts is off: no demo accounts")
        return
    record = os.path.join(settings.var_dir, "demo-accounts.txt")
    with transaction(_sessions(settings)) as session:
        lines = [f"{username}\t{password}\t{name}"
                 for username, password, name in do_add_demo_accounts(session=session)]
    if lines:
        os.makedirs(settings.var_dir, exist_ok=True)
        with open(record, "a", encoding="utf-8") as fh:
            os.chmod(record, 0o600)
            fh.write("\n".join(lines) + "\n")
    click.echo(f"DEMO portal accounts (one per department; change or remove them before real use), "
               f"listed in {record}:")
    with open(record, encoding="utf-8") as fh:
        click.echo(fh.read().rstrip())
    click.echo(f"Portal: {settings.server.public_url}/portal/")


def _account(session, username: str):
    from sqlalchemy import select

    from models import StaffAccount

    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None:
        raise click.ClickException(f"no account {username!r}")
    return account


@staff.command("deactivate")
@click.argument("username")
def staff_deactivate(username: str) -> None:
    """Stop an account: no portal login, no WeChat commands or notices (its WeChat is unbound)."""
    from bot.cases.binding import do_unbind

    with transaction(_sessions(_settings())) as session:
        account = _account(session, username)
        account.active = False
        do_unbind(account)
    click.echo(f"deactivated {username}")


@staff.command("wecom")
@click.argument("username")
@click.argument("userid", default="")
def staff_wecom(username: str, userid: str) -> None:
    """Set the account's 企业微信 userid (empty: none), for the WeCom application's notices."""
    with transaction(_sessions(_settings())) as session:
        _account(session, username).wecom_userid = userid.strip()
    click.echo(f"WeCom userid of {username}: {userid.strip() or '(none)'}")
