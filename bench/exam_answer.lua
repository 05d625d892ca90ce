-- wrk script: practice-exam answer saves (htmx POST), one thread per learner, each on its own attempt.
-- Each response carries the attempt's new seq, which the thread's next save sends: every request is a
-- real write (the answer alternates between two options), not a replay.
local threads = {}
local counter = 0

local function split(text)
  local out = {}
  for item in string.gmatch(text or "", "[^,]+") do table.insert(out, item) end
  return out
end

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  local sessions = split(os.getenv("BENCH_SESSIONS"))
  local me = ((index - 1) % #sessions) + 1
  session = sessions[me]
  attempt = split(os.getenv("BENCH_ATTEMPTS"))[me]
  seq = tonumber(split(os.getenv("BENCH_SEQS"))[me])
  local keys = split(os.getenv("BENCH_KEYS"))[me]
  key_a, key_b = keys:match("(%d+)-(%d+)")
  csrf = os.getenv("BENCH_CSRF")
  flip = false
  stale = 0
end

function request()
  flip = not flip
  local body = "seq=" .. seq .. "&flag_sent=1&choice=" .. (flip and key_a or key_b)
  return wrk.format("POST", "/exam/" .. attempt .. "/q/5/", {
    ["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  local next_seq = body:match('name="seq" value="(%d+)"')
  if next_seq then seq = tonumber(next_seq) else stale = stale + 1 end
end

done = function(summary, latency, requests)
  local stale_total = 0
  for _, thread in ipairs(threads) do stale_total = stale_total + (thread:get("stale") or 0) end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout + stale_total
  io.write(string.format(
    'BENCH_JSON {"rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
