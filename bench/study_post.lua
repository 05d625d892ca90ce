-- wrk script: POSTs that each spend a fresh one-time token (htmx), one connection per thread: the study answer
-- and rate (bench.seeding.study.seed_posts) and the trainer answer (bench.seeding.trainer.seed_posts).
-- BENCH_FILE has one line per thread: a learner's session, then their items, and possibly another session and
-- its items (a word without a comma is a session). An item is "token,value" or, for a path that names the
-- learner's round, "round,token,value" (ROUND in BENCH_PATH is replaced by it); a value "7+9" sends the field
-- twice (a multiple-response answer). BENCH_FIELD is the form field of the value (choice, rating or service),
-- BENCH_EXPECT the status of a recorded request.
-- A thread that runs out of tokens starts over: those requests are replays (recorded once, same result),
-- counted in "replays" so the figure says what was measured.
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
  local mine = lines[((index - 1) % #lines) + 1]
  pairs_ = {}
  sessions = {}
  local session = nil
  for word in string.gmatch(mine, "%S+") do
    if not string.find(word, ",", 1, true) then
      session = word
    else
      table.insert(pairs_, word)
      table.insert(sessions, session)
    end
  end
  path = os.getenv("BENCH_PATH")
  field = os.getenv("BENCH_FIELD")
  expect = tonumber(os.getenv("BENCH_EXPECT"))
  csrf = os.getenv("BENCH_CSRF")
  sent = 0
  replays = 0
  unexpected = 0
end

function request()
  sent = sent + 1
  if sent > #pairs_ then replays = replays + 1 end
  local at = ((sent - 1) % #pairs_) + 1
  local parts = {}
  for part in string.gmatch(pairs_[at], "[^,]+") do table.insert(parts, part) end
  local target, token, value = path, parts[1], parts[2]
  if #parts == 3 then
    target, token, value = string.gsub(path, "ROUND", parts[1]), parts[2], parts[3]
  end
  local body = "token=" .. token
  for one in string.gmatch(value, "[^+]+") do body = body .. "&" .. field .. "=" .. one end
  return wrk.format("POST", target, {
    ["Cookie"] = "sessionid=" .. sessions[at] .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  if status ~= expect then unexpected = unexpected + 1 end
end

done = function(summary, latency, requests)
  local unexpected_total, replays_total = 0, 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
    replays_total = replays_total + (thread:get("replays") or 0)
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout + unexpected_total
  io.write(string.format(
    'BENCH_JSON {"rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "errors": %d, "requests": %d, "replays": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests, replays_total))
end
