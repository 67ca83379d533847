"""Where a first delivery's time goes: civicbot's webhook in process under cProfile, on bench/load.lua's mix.

Run as `make bench-profile`. Every request is a message's first delivery (the load benchmark's default),
sent through the Flask test client to the real app on SQLite, with the trained classifier. It prints the
time per delivery and, for each stage of the path, its share of the webhook's own time (cumulative,
so nested stages overlap). Profiling slows everything alike; the shares, not the milliseconds, are the point.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instructions  # the same app, message mix and schedule as the instruction count

# (label, module file suffix, function name), in the order a message flows.
STAGES = [
    ("the whole webhook view", "bot/web/webhook.py", "_answer"),
    ("  parse the XML", "bot/wechat/inbound.py", "parse_inbound"),
    ("  replay read (nothing stored yet)", "bot/wechat/redelivery.py", "_stored_reply"),
    ("  write transaction (claim, turn, reply, commit)", "bot/infra/db.py", "run_on_connection"),
    ("    claim the message", "bot/wechat/redelivery.py", "_claim"),
    ("    find and lock the resident", "bot/conversation/store.py", "find_resident"),
    ("    read the resident and draft", "bot/conversation/store.py", "load_turn"),
    ("    intent (classify the words)", "bot/conversation/intents.py", "intent_of"),
    ("    the handler", "bot/conversation/table.py", "_answer"),
    ("      understand the draft", "handlers/draft.py", "understand"),
    ("      submit (case service, ORM)", "handlers/commands.py", "submit"),
    ("    write the changed rows", "bot/conversation/turn.py", "finish"),
    ("    commit", "sqlalchemy/engine/base.py", "commit"),
    ("  after-commit jobs (enqueue)", "bot/infra/db.py", "run_after_commit"),
    ("  render the reply XML", "wechatpy/replies.py", "render"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=3000)
    options = parser.parse_args()
    civicbot, _, query = instructions._clients()
    for n in range(0, 900, 3):  # warm up: residents with drafts, caches filled
        instructions._post(civicbot, query, n)
    profile = cProfile.Profile()
    first = range(900, 900 + 3 * options.deliveries, 3)   # n divisible by 3: a message's first delivery
    started = time.perf_counter()
    profile.enable()
    for n in first:
        instructions._post(civicbot, query, n)
    profile.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (filename, _, function), (_, _, _, total, _) in stats.items():
        for _, suffix, name in STAGES:
            if function == name and filename.endswith(suffix):
                cumulative[(suffix, name)] = cumulative.get((suffix, name), 0.0) + total
    whole = cumulative.get(("bot/web/webhook.py", "_answer"), elapsed)
    print(f"{options.deliveries} first deliveries in process: {1000 * elapsed / options.deliveries:.2f} ms each "
          f"under the profiler; the webhook view's share by stage:")
    for label, suffix, name in STAGES:
        spent = cumulative.get((suffix, name), 0.0)
        print(f"  {label:<52} {100 * spent / whole:5.1f} %   {1000 * spent / options.deliveries:.3f} ms")


if __name__ == "__main__":
    main()
