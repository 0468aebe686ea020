-- Mixed portal traffic for wrk (issue 9, item 6): sign-ins, dashboard JSON, property lists and
-- document downloads, by signed-in clients of one agency.
--
--   wrk -t2 -c16 -d60s --latency -s tests/load/mixed.lua http://127.0.0.1:PORT -- TARGETS
--
-- TARGETS is a file written by mixed.sh, one request a line, tab-separated:
--   kind <TAB> method <TAB> path <TAB> cookie-or-"-" <TAB> body-or-"-"
-- kinds: signin, dashboard, properties, download. Each request picks a kind by weight
-- (env LOAD_WEIGHTS, default "signin=5,dashboard=50,properties=15,download=30"), then a
-- target of that kind in turn.
--
-- At the end it prints the answers by status and writes a summary (key=value lines) to the
-- file named by env LOAD_RESULT, for mixed.sh to judge.

local targets_by_kind = {}
local kinds = {}
local total_weight = 0
counts = {} -- global: done() reads it from each thread
local next_index = {}

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

local function parse_weights(spec)
  local w = {}
  for name, n in spec:gmatch("(%w+)=(%d+)") do
    w[name] = tonumber(n)
  end
  return w
end

function init(args)
  local path = args[1]
  if path == nil then
    error("mixed.lua: pass the targets file after --")
  end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    local t = split_tabs(line)
    if #t >= 5 then
      local kind, method, p, cookie, body = t[1], t[2], t[3], t[4], t[5]
      local headers = {}
      if cookie ~= "-" then
        headers["Cookie"] = cookie
      end
      if body == "-" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      local req = wrk.format(method, p, headers, body)
      targets_by_kind[kind] = targets_by_kind[kind] or {}
      table.insert(targets_by_kind[kind], req)
    end
  end
  f:close()
  local weights = parse_weights(os.getenv("LOAD_WEIGHTS") or
    "signin=5,dashboard=50,properties=15,download=30")
  for kind, list in pairs(targets_by_kind) do
    local w = weights[kind] or 0
    if w > 0 and #list > 0 then
      table.insert(kinds, { name = kind, weight = w, list = list })
      total_weight = total_weight + w
      next_index[kind] = math.random(#list)
    end
  end
  if total_weight == 0 then
    error("mixed.lua: no targets with a weight")
  end
end

function request()
  local r = math.random(total_weight)
  for _, k in ipairs(kinds) do
    if r <= k.weight then
      local i = next_index[k.name]
      next_index[k.name] = (i % #k.list) + 1
      return k.list[i]
    end
    r = r - k.weight
  end
  return kinds[1].list[1]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local by_status = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, n in pairs(c) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local ok, limited, other = 0, 0, 0
  local statuses = {}
  for status, n in pairs(by_status) do
    table.insert(statuses, status)
    if status >= 200 and status < 400 then
      ok = ok + n
    elseif status == 429 then
      limited = limited + n
    else
      other = other + n
    end
  end
  table.sort(statuses)
  local shown = {}
  for _, s in ipairs(statuses) do
    table.insert(shown, s .. "x" .. by_status[s])
  end
  local e = summary.errors
  local transport = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local rps = summary.requests / seconds
  io.write(string.format("answers by status: %s\n", table.concat(shown, " ")))
  io.write(string.format(
    "requests %d in %.1fs: %.0f req/s; p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms\n",
    summary.requests, seconds, rps, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("transport errors: connect %d read %d write %d timeout %d\n",
    e.connect, e.read, e.write, e.timeout))
  local out = os.getenv("LOAD_RESULT")
  if out then
    local f = assert(io.open(out, "w"))
    f:write(string.format("requests=%d\nseconds=%.1f\nrps=%.0f\n", summary.requests, seconds, rps))
    f:write(string.format("p50_ms=%.2f\np99_ms=%.2f\nmax_ms=%.2f\n", latency:percentile(50) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000))
    f:write(string.format("ok=%d\nlimited=%d\nother=%d\ntransport=%d\n", ok, limited, other, transport))
    f:write(string.format("statuses=%s\n", table.concat(shown, " ")))
    f:close()
  end
end
