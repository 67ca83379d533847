"""The 企业微信 (WeCom) application client: wechatpy's, with its token fetch and calls at the configured base URL."""
from __future__ import annotations

from wechatpy.enterprise import WeChatClient as WeComClient

from bot.config import WeComSettings


class WeComApi(WeComClient):
    """wechatpy's WeCom client, whose token fetch would otherwise always go to qyapi.weixin.qq.com.

    Each process keeps its own token in memory: unlike the official account's, a WeCom token fetched again does not
    invalidate the one another worker holds."""

    def __init__(self, wecom: WeComSettings, timeout: float = 10.0):
        super().__init__(wecom.corp_id, wecom.secret, timeout=timeout)
        self.API_BASE_URL = wecom.api_base_url.rstrip("/") + "/"
        self.agent_id = wecom.agent_id

    def fetch_access_token(self):
        return self._fetch_access_token(url=self.API_BASE_URL + "gettoken",
                                        params={"corpid": self.corp_id, "corpsecret": self.secret})


def make_wecom(wecom: WeComSettings) -> WeComApi | None:
    """The client when [wecom] is configured (corp_id, agent_id and secret); None otherwise."""
    return WeComApi(wecom) if wecom.enabled else None
