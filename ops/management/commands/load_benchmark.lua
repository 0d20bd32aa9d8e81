-- wrk script for `manage.py load_benchmark`: rotates signed-in users, and per BENCH_PROFILE asks for feeds (with
-- or without free text, or ranked afresh on every request), the anonymous feed, or feeds with one interaction
-- posted in ten requests.

local profile = os.getenv("BENCH_PROFILE") or "feed"
local data = os.getenv("BENCH_DATA")

local function lines(name)
  local result = {}
  for line in io.lines(data .. "/" .. name) do
    if line ~= "" then table.insert(result, line) end
  end
  return result
end

local tokens = lines("tokens.txt")
local items = lines("items.txt")
local queries = lines("queries.txt")
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  errors = 0
  hits = 0
  misses = 0
  math.randomseed(id * 7919)
end

function request()
  counter = counter + 1
  local token = tokens[math.random(#tokens)]
  local auth = { Authorization = "Token " .. token }
  if profile == "anonymous" then
    return wrk.format("GET", "/api/v1/popular/?page_size=20")
  end
  if profile == "mixed" and counter % 10 == 0 then
    local body = string.format('{"item": %s, "kind": "view", "client_id": "load-%d-%d-%d"}',
      items[math.random(#items)], id, counter, math.random(1000000000))
    auth["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/interactions/", auth, body)
  end
  local path = "/api/v1/feed/?page_size=20"
  if profile == "query" then
    path = path .. "&q=" .. queries[math.random(#queries)]
  elseif profile == "ranked" then
    -- A random explore setting is part of the cache key: (almost) every request ranks afresh.
    path = path .. string.format("&explore=%.2f", math.random())
  end
  return wrk.format("GET", path, auth)
end

function response(status, headers, body)
  if status >= 300 then errors = errors + 1 end
  local cache = headers["X-Feed-Cache"] or headers["x-feed-cache"]
  if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
end

function done(summary, latency, requests)
  local total_errors, total_hits, total_misses = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_errors = total_errors + thread:get("errors")
    total_hits = total_hits + thread:get("hits")
    total_misses = total_misses + thread:get("misses")
  end
  local cached = 0
  if total_hits + total_misses > 0 then cached = total_hits / (total_hits + total_misses) end
  io.write(string.format(
    'RESULT {"requests": %d, "rps": %.2f, "p50": %.2f, "p95": %.2f, "p99": %.2f, "errors": %d, "socket_errors": %d, "cached": %.4f}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    total_errors, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    cached))
end
