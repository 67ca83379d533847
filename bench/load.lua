-- wrk script: signed WeChat deliveries of every kind from many residents, each message delivered once or three
-- times (as WeChat re-delivers), with a per-thread counter so every thread sends different messages.
-- The signature covers only token, timestamp and nonce in plain mode, so one query serves all bodies.
-- WeChat re-delivers a message when its answer is late, so the second and third deliveries of message m
-- go out `lag` and 2 × `lag` messages after the first; lag 0 sends all three at once.
local query = os.getenv("CIVICBOT_QUERY")
local residents = tonumber(os.getenv("CIVICBOT_RESIDENTS") or "100")
local lag = tonumber(os.getenv("CIVICBOT_REDELIVERY_LAG") or "0")
-- 1: every request is a message's first delivery; 3: each message is delivered three times, as described below.
local deliveries = tonumber(os.getenv("CIVICBOT_DELIVERIES") or "3")
-- A run in rounds goes on where the last round's threads stopped: CIVICBOT_START="n0,n1", as done() prints.
local starts = {}
for value in string.gmatch(os.getenv("CIVICBOT_START") or "", "%d+") do
  table.insert(starts, tonumber(value))
end
local threads = {}
counter = 0  -- global, so that setup() and done() reach each thread's own with set() and get()
local thread_id = 0

local texts = {
  "晋祠镇花塔村路口有人摆摊占了半条路",
  "古唐苑小区门口垃圾堆了好几天没人清理",
  "电西社区电线杆上贴满了小广告",
  "义井街道有工地晚上施工噪音很大",
  "你好",
  "提交",
  "我的",
  "长风西大街有人乱停车堵住了人行道",
}

function setup(thread)
  thread:set("id", thread_id)
  thread:set("counter", starts[thread_id + 1] or 0)
  table.insert(threads, thread)
  thread_id = thread_id + 1
end

local function message_of(n)
  if deliveries == 1 then
    return n
  end
  -- Request n carries delivery n mod 3 of a message: the first delivery of message n / 3, or a re-delivery
  -- of a message sent lag or 2 × lag messages earlier (at the start, before there is one, a new message).
  local fresh = math.floor(n / 3)
  local earlier = fresh - (n % 3) * lag
  if earlier < 0 then
    return fresh
  end
  return earlier
end

local function body(m)
  -- Message m goes to resident m mod residents; that resident's step-th message cycles through the kinds
  -- (texts with places, 提交, 我的, small talk, a location, a photo, a menu click), so drafts fill up and
  -- become tickets during the run.
  local resident_number = m % residents
  local step = math.floor(m / residents)
  local resident = string.format("o-load-%d-%d", id, resident_number)
  local msg_id = id * 100000000 + m
  local kind = step % 10
  local head = "<xml><ToUserName><![CDATA[gh_load]]></ToUserName><FromUserName><![CDATA[" .. resident ..
               "]]></FromUserName><CreateTime>" .. (1764300000 + m) .. "</CreateTime>"
  if kind == 7 then
    return head .. "<MsgType><![CDATA[location]]></MsgType><Location_X>37.7050</Location_X>" ..
           "<Location_Y>112.4310</Location_Y><Scale>16</Scale><Label><![CDATA[花塔村]]></Label><MsgId>" ..
           msg_id .. "</MsgId></xml>"
  elseif kind == 8 then
    return head .. "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>" ..
           "<MediaId><![CDATA[load-" .. msg_id .. "]]></MediaId><MsgId>" .. msg_id .. "</MsgId></xml>"
  elseif kind == 9 then
    return head .. "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>" ..
           "<EventKey><![CDATA[HELP]]></EventKey></xml>"
  end
  local text = texts[((step + resident_number) % #texts) + 1]
  return head .. "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" .. text .. "]]></Content><MsgId>" ..
         msg_id .. "</MsgId></xml>"
end

function request()
  local b = body(message_of(counter))
  counter = counter + 1
  return wrk.format("POST", "/wechat?" .. query, {["Content-Type"] = "text/xml"}, b)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d timeouts=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status,
    summary.errors.timeout))
  local counters = {}
  for _, thread in ipairs(threads) do
    table.insert(counters, tostring(thread:get("counter")))
  end
  io.write("COUNTERS " .. table.concat(counters, ",") .. "\n")
end
