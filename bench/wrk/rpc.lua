-- wrk script: JSON-RPC load on POST /RPC.
--   OP    (env) get | sets | seti          (default get)
--   TABLE (env) table name                 (default "t"; "a" for the Kamailio reference)
--   BATCH (env) calls per request; 1 sends a single call, >1 a JSON-RPC batch (ops = BATCH x requests)
--   CHECK=1     count replies that are not HTTP 200 or carry a JSON-RPC error (wrk then reads every body)
-- get reads the preloaded keys k0..k999; sets/seti write per-thread rolling keys (1000 per thread),
-- as ../shared/kamailio/bench/seti.lua does.
local op = os.getenv("OP") or "get"
local tbl = os.getenv("TABLE") or "t"
local batch = tonumber(os.getenv("BATCH") or "1")
local counter = 0
local nthreads = 0  -- main-state counter; each thread gets a global `tid`
local threads = {}
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads); table.insert(threads, thread) end
function init(args) counter = 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local function call()
  counter = counter + 1
  if op == "sets" then
    return string.format('{"jsonrpc":"2.0","method":"htable.sets","params":["%s","s%d_%d","value%d"],"id":%d}',
      tbl, tid, counter % 1000, counter, counter)
  elseif op == "seti" then
    return string.format('{"jsonrpc":"2.0","method":"htable.seti","params":["%s","b%d_%d",%d],"id":%d}',
      tbl, tid, counter % 1000, counter, counter)
  end
  return string.format('{"jsonrpc":"2.0","method":"htable.get","params":["%s","k%d"],"id":%d}',
    tbl, counter % 1000, counter)
end

function request()
  if batch <= 1 then
    return wrk.format(nil, nil, nil, call())
  end
  local calls = {}
  for i = 1, batch do calls[i] = call() end
  return wrk.format(nil, nil, nil, "[" .. table.concat(calls, ",") .. "]")
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "check.lua")(threads)
