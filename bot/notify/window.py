"""WeChat's 48-hour rule for one message: sent as a customer-service message, else a template message where one is
configured, else left waiting for the person's next message; a failure that may pass is a retry."""
from __future__ import annotations

from collections.abc import Callable

import requests
from wechatpy.exceptions import WeChatClientException

OUTSIDE_WINDOW = {45015, 45047}   # 48 h since the person's last message passed, or the quota is used up


def send_in_window(send: Callable[[], None], *, api, openid: str, template_id: str, fields: dict[str, dict],
                   who: str) -> tuple[str, str]:
    """(outcome, note): sent, template_sent, waiting or retry; `who` names whose next message a wait is for."""
    try:
        send()
        return "sent", ""
    except WeChatClientException as exc:
        if exc.errcode in OUTSIDE_WINDOW:
            return _template(api, openid, template_id, fields, who)
        return "retry", f"WeChat error {exc.errcode}: {exc.errmsg}"
    except (requests.RequestException, OSError) as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:300]


def _template(api, openid: str, template_id: str, fields: dict[str, dict], who: str) -> tuple[str, str]:
    if not template_id:
        return "waiting", f"outside the 48-hour window; waiting for the {who}'s next message"
    try:
        api.message.send_template(openid, template_id, fields)
        return "template_sent", ""
    except WeChatClientException as exc:
        if exc.errcode in OUTSIDE_WINDOW:
            return "waiting", f"template refused too ({exc.errcode})"
        return "retry", f"template: WeChat error {exc.errcode}"
    except requests.RequestException as exc:
        return "retry", f"template: {type(exc).__name__}"
