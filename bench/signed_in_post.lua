-- wrk script: the reference POSTs (bench/views.py), sent the way the learners' POSTs are: one
-- connection per thread, each thread signed in as its own learner (the first session on its line of BENCH_FILE,
-- the study answers' file), with the CSRF cookie and header, htmx, and a small form body. Any status but 200
-- counts as an error.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  local lines = {}
  for line in io.lines(os.getenv("BENCH_FILE")) do
    if #line > 0 then table.insert(lines, line) end
  end
  session = string.match(lines[((index - 1) % #lines) + 1], "%S+")
  csrf = os.getenv("BENCH_CSRF")
  unexpected = 0
end

function request()
  return wrk.format("POST", nil, {
    ["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "token=reference&choice=1")
end

function response(status, headers, body)
  if status ~= 200 then unexpected = unexpected + 1 end
end

done = function(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do unexpected_total = unexpected_total + (thread:get("unexpected") or 0) end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout + unexpected_total
  io.write(string.format(
    'BENCH_JSON {"rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
