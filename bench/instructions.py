"""Instructions per webhook request, counted by Valgrind's callgrind: civicbot against the echo webhook.

Run as `make bench-instructions` (needs valgrind and gcc; about 5 minutes). On a shared machine the
load benchmark's throughput swings by a third within minutes, so a change of a few per cent cannot be
seen there; an instruction count is the same on every run. It counts user-space instructions only: no
waiting, no system calls, no cache misses, so it is a guide to the cost of the code, and the load
benchmark stays the judge of throughput.

The app runs in this process (Flask's test client, no sockets) on a SQLite database of its own, with the
message mix of bench/load.lua: 100 residents, every message delivered three times, the second and third
100 and 200 messages after the first. After a warm-up, three stretches are counted apart: a whole cycle
of the mix, re-deliveries only, and the echo webhook on the same messages.
"""
from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
MODEL = ROOT / "var" / "classifier.npz"  # what `make model` trains and `make run` serves

RESIDENTS = 100
LAG = 100                  # messages between a message's deliveries, as load.lua's default
WARM_UP = 1500             # requests before counting: caches, pools and the residents' drafts fill up
MIX = 3 * 10 * RESIDENTS   # requests in which every resident goes once through the ten kinds
REPLAYS = 1000
TEXTS = ["晋祠镇花塔村路口有人摆摊占了半条路", "古唐苑小区门口垃圾堆了好几天没人清理", "电西社区电线杆上贴满了小广告",
         "义井街道有工地晚上施工噪音很大", "你好", "提交", "我的", "长风西大街有人乱停车堵住了人行道"]
SHIM = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def main() -> None:
    if not MODEL.exists():  # without it civicbot falls back to keywords: not what `make run` serves
        raise SystemExit(f"the classifier model {MODEL} is missing: run `make model` (make bench-instructions does)")
    if not os.environ.get("CIVICBOT_UNDER_CALLGRIND"):
        _rerun_under_callgrind()
        return
    shim = ctypes.CDLL(os.environ["CIVICBOT_CALLGRIND_SHIM"])
    civicbot, echo, query = _clients()
    post = lambda client, n: _post(client, query, n)  # noqa: E731
    for n in range(WARM_UP):
        post(civicbot, n)
        post(echo, n)
    for name, client, numbers in (("mix", civicbot, range(WARM_UP, WARM_UP + MIX)),
                                  ("replays", civicbot, [3 * (n % 300) for n in range(REPLAYS)]),
                                  ("echo", echo, range(WARM_UP, WARM_UP + REPLAYS))):
        shim.start()
        for n in numbers:
            post(client, n)
        shim.stop(name.encode())


def _rerun_under_callgrind() -> None:
    for tool in ("valgrind", "gcc"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install valgrind gcc")
    folder = Path(tempfile.mkdtemp(prefix="civicbot-instructions-"))
    (folder / "shim.c").write_text(SHIM, encoding="utf-8")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(folder / "shim.so"), str(folder / "shim.c")],
                   check=True)
    env = {**os.environ, "CIVICBOT_UNDER_CALLGRIND": "1", "CIVICBOT_CALLGRIND_SHIM": str(folder / "shim.so"),
           "PYTHONHASHSEED": "0"}
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={folder / 'counts'}", sys.executable, __file__],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {}
    for dump in folder.glob("counts.*"):
        text = dump.read_text(errors="replace")
        name = re.search(r"^desc: Trigger: Client Request: (\w+)", text, re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)  # "summary:" comes first and may read 0
        if name and total:
            counts[name.group(1)] = int(total.group(1))
    shutil.rmtree(folder, ignore_errors=True)
    echo = counts["echo"] / REPLAYS
    mix, replay = counts["mix"] / MIX, counts["replays"] / REPLAYS
    first = 3 * mix - 2 * replay  # a third of the mix are first deliveries, the rest re-deliveries
    print(f"instructions per request (callgrind; load.lua's mix, {RESIDENTS} residents, re-deliveries {LAG} apart):")
    print(f"  echo webhook (Flask + wechatpy, signature + parse + echo)  {echo / 1e6:.2f} M")
    print(f"  civicbot, the whole mix                                   {mix / 1e6:.2f} M  "
          f"({mix / echo:.2f} × echo)")
    print(f"  civicbot, a re-delivery (answered from the stored reply)  {replay / 1e6:.2f} M  "
          f"({replay / echo:.2f} × echo)")
    print(f"  civicbot, a first delivery (from the two above)           {first / 1e6:.2f} M  "
          f"({first / echo:.2f} × echo)")


def _clients():
    import echo_app

    from bot.app import create_app
    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from bot.web.webhook import signature_of
    from tests.conftest import make_settings

    folder = Path(tempfile.mkdtemp(prefix="civicbot-instructions-app-"))
    settings = make_settings(folder, folder / "civicbot.db",
                             queue={"backend": "sqlite", "path": str(folder / "jobs.db")},
                             classifier={"model": str(MODEL)}, logging={"level": "WARNING"})
    migrate(settings)
    engine = make_engine(settings)
    with transaction(make_sessionmaker(engine)) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
    engine.dispose()
    app = create_app(settings)
    logging.getLogger().setLevel(logging.WARNING)
    timestamp, nonce = str(int(time.time())), "20261128"
    query = {"timestamp": timestamp, "nonce": nonce, "signature": signature_of("civicbot-dev-token", timestamp, nonce)}
    return app.test_client(), echo_app.create_app().test_client(), query


def _post(client, query: dict, n: int) -> None:
    response = client.post("/wechat", query_string=query, data=_body(n).encode(), content_type="text/xml")
    if response.status_code != 200:
        raise SystemExit(f"request {n} got {response.status_code}: {response.get_data(as_text=True)[:200]}")


def _body(n: int) -> str:
    """Request n of bench/load.lua's schedule, for thread 0."""
    fresh = n // 3
    m = fresh - (n % 3) * LAG
    if m < 0:
        m = fresh
    resident_number, step = m % RESIDENTS, m // RESIDENTS
    head = (f"<xml><ToUserName><![CDATA[gh_load]]></ToUserName><FromUserName><![CDATA[o-load-0-{resident_number}]]>"
            f"</FromUserName><CreateTime>{1764300000 + m}</CreateTime>")
    kind = step % 10
    if kind == 7:
        return (head + "<MsgType><![CDATA[location]]></MsgType><Location_X>37.7050</Location_X><Location_Y>112.4310"
                f"</Location_Y><Scale>16</Scale><Label><![CDATA[花塔村]]></Label><MsgId>{m}</MsgId></xml>")
    if kind == 8:
        return (head + "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>"
                f"<MediaId><![CDATA[load-{m}]]></MediaId><MsgId>{m}</MsgId></xml>")
    if kind == 9:
        return (head + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
                "<EventKey><![CDATA[HELP]]></EventKey></xml>")
    text = TEXTS[(step + resident_number) % len(TEXTS)]
    return head + f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content><MsgId>{m}</MsgId></xml>"


if __name__ == "__main__":
    main()
