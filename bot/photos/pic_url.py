"""A photo WeChat delivered with a PicUrl but no MediaId: fetched from that URL, only from WeChat's image hosts.

The URL comes from the message body, so it is checked before anything connects (no request to an address of the
sender's choosing — SSRF): http or https, WeChat's image hosts (mmbiz.qpic.cn and the other *.qpic.cn) on their
default ports, or the configured API base's own host and port (the stand-in API of the demo and the tests); no
user part, no redirects followed, and the same size and time limits as a download through the API.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import requests

# Photos are keyed by MediaId (one photo per resident and id); one without stands under its URL's digest.
PIC_URL_KEY = "picurl:"
WECHAT_IMAGE_HOSTS = ("mmbiz.qpic.cn",)
WECHAT_IMAGE_DOMAIN = ".qpic.cn"
DEFAULT_PORTS = {"http": 80, "https": 443}
GONE = {403, 404, 410}            # the image is not there (expired or never was): asking again will not help
_SUSPECT = re.compile(r"[\s\\@\x00-\x1f\x7f]")
CHUNK = 64 * 1024


class UnsafePicUrl(Exception):
    """The URL does not point at one of WeChat's image hosts: it is never fetched."""


class PicUrlGone(Exception):
    """The image host answered that the picture is not there."""


def media_key(media_id: str, pic_url: str) -> str:
    """The photo's key: its MediaId, or for a photo without one, a digest of its PicUrl."""
    return media_id or PIC_URL_KEY + hashlib.sha256(pic_url.encode("utf-8")).hexdigest()[:40]


def by_pic_url(media_key_: str) -> bool:
    return media_key_.startswith(PIC_URL_KEY)


def check_pic_url(url: str, api_base_url: str) -> str:
    """Return the URL when it may be fetched; raise UnsafePicUrl otherwise."""
    if not url or _SUSPECT.search(url):
        raise UnsafePicUrl("empty, or with spaces, backslashes, control characters or a user part")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:
        raise UnsafePicUrl("bad port") from exc
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise UnsafePicUrl(f"not an http(s) URL: {parts.scheme!r}")
    if (host in WECHAT_IMAGE_HOSTS or host.endswith(WECHAT_IMAGE_DOMAIN)) and port == DEFAULT_PORTS[parts.scheme]:
        return url
    api = urlsplit(api_base_url)
    if host == (api.hostname or "").lower() and port == (api.port or DEFAULT_PORTS.get(api.scheme)):
        return url
    raise UnsafePicUrl(f"not one of WeChat's image hosts: {host}")


def download(url: str, *, api_base_url: str, max_bytes: int, timeout: float) -> bytes:
    """The picture's bytes, at most max_bytes + 1 of them (the cleaner then refuses a file that is too large).

    Raises UnsafePicUrl, PicUrlGone, or requests.RequestException for a passing failure (retried)."""
    check_pic_url(url, api_base_url)
    with requests.get(url, stream=True, timeout=timeout, allow_redirects=False) as response:
        if response.status_code in GONE:
            raise PicUrlGone(f"HTTP {response.status_code}")
        if response.is_redirect:
            raise UnsafePicUrl("the image host redirected elsewhere; redirects are not followed")
        if response.status_code != 200:
            raise requests.HTTPError(f"HTTP {response.status_code}", response=response)
        data = bytearray()
        for chunk in response.iter_content(CHUNK):
            data += chunk
            if len(data) > max_bytes:
                break
    return bytes(data[:max_bytes + 1])
