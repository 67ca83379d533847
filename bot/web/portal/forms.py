"""Portal forms (WTForms through Flask-WTF, which also carries the CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField("账号", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class ActionForm(FlaskForm):
    """Every input a workflow step may read; the ticket page shows each step only the fields it uses."""

    action = HiddenField(validators=[DataRequired()])
    note = TextAreaField("说明 / 理由", validators=[Optional(), Length(max=2000)])
    reply = TextAreaField("答复市民", validators=[Optional(), Length(max=500)])
    department = SelectField("承办部门", validators=[Optional()], validate_choice=False)
    merge_number = StringField("原工单编号", validators=[Optional(), Length(max=20)])
    # Parsed by the view, so that a malformed date gets a Chinese answer (WTForms' own is English).
    deadline = StringField("日期", validators=[Optional(), Length(max=20)], render_kw={"type": "datetime-local"})
    assignee = SelectField("承办人", validators=[Optional()], validate_choice=False)
    priority = SelectField("优先级", validators=[Optional()], validate_choice=False)
    category = SelectField("类别", validators=[Optional()], validate_choice=False)
    town = SelectField("镇街", validators=[Optional()], validate_choice=False)
    location = StringField("位置", validators=[Optional(), Length(max=200)])
    # What a file is, is read from its content (bot/photos/cleaning.py), not its name: a phone's camera may send
    # one without an extension.
    photos = MultipleFileField("照片")


class BulkForm(FlaskForm):
    """One action on the tickets ticked in the queue; the choices are set per clerk, and checked by the view."""

    action = SelectField("批量办理", validate_choice=False)
    department = SelectField("承办部门", validators=[Optional()], validate_choice=False)
    assignee = SelectField("承办人", validators=[Optional()], validate_choice=False)
    numbers = SelectMultipleField("工单", validate_choice=False)
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass


class CodeForm(FlaskForm):
    """A 6-digit TOTP code: the login's second step, enrolment, and turning it off."""

    code = StringField("验证码", validators=[DataRequired(), Length(max=10)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*",
                                  "maxlength": "7"})


class AccountForm(FlaskForm):
    """A new account; the department's choices are those the admin manages (set by the view)."""

    username = StringField("账号名", validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    display_name = StringField("姓名", validators=[Optional(), Length(max=100)])
    department = SelectField("部门")
    role = SelectField("角色", choices=[("staff", "工作人员"), ("admin", "管理员")])


class RoleForm(FlaskForm):
    role = SelectField("角色", choices=[("staff", "工作人员"), ("admin", "管理员")])


class TokenForm(FlaskForm):
    department = SelectField("部门")
    note = StringField("用途", validators=[DataRequired(), Length(max=200)])
