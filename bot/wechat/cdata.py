"""Text in WeChat's CDATA sections that always parses, whatever a resident typed: a reply (wechatpy puts the content
in CDATA as it is) and the simulator's messages. The CDATA is never closed early; characters XML 1.0 forbids are
dropped."""
from __future__ import annotations

import re

from wechatpy.replies import TextReply

# XML 1.0 allows tab, LF, CR and everything from U+0020 except lone surrogates and U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# "]]>" would end the CDATA section: end it after "]]" and open a new one for ">"; readers join the two.
_CDATA_END = "]]>"
_SPLIT_CDATA_END = "]]]]><![CDATA[>"


def cdata_safe(text: str) -> str:
    """The text as it can stand inside the reply's CDATA section, read back unchanged (bar forbidden characters)."""
    return _FORBIDDEN.sub("", text).replace(_CDATA_END, _SPLIT_CDATA_END)


def text_reply_xml(*, account: str, openid: str, content: str) -> str:
    return TextReply(source=account, target=openid, content=cdata_safe(content)).render()
