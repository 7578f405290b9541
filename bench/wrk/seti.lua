-- wrk script: POST /RPC htable.seti <TABLE> b<tid>_<0..999> <n>, one call per request,
-- with a per-thread rolling key (1000 keys per thread), as the Kamailio seti.lua.
-- TABLE (env, default "t"); CHECK=1 counts replies that are not HTTP 200 or carry a JSON-RPC error.
local tbl = os.getenv("TABLE") or "t"
local counter = 0
local nthreads = 0  -- main-state counter; each thread gets a global `tid`
local threads = {}
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads); table.insert(threads, thread) end
function init(args) counter = 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local body = string.format('{"jsonrpc":"2.0","method":"htable.seti","params":["%s","b%d_%d",%d],"id":%d}',
    tbl, tid, counter % 1000, counter, counter)
  return wrk.format(nil, nil, nil, body)
end
if os.getenv("CHECK") == "1" then
  function response(status, headers, body)
    if status ~= 200 or string.find(body, '"error"', 1, true) then errs = (errs or 0) + 1 end
  end
  function done(summary, latency, requests)
    local n = 0
    for _, t in ipairs(threads) do n = n + (t:get("errs") or 0) end
    io.write(string.format("rpc errors: %d\n", n))
  end
end
