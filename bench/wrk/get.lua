-- wrk script: POST /RPC htable.get <TABLE> k<0..999>, one call per request.
-- TABLE (env, default "t"): "a" for the Kamailio reference. Keys are preloaded by run-rpc-bench.sh.
-- CHECK=1 (env): count replies that are not HTTP 200 or carry a JSON-RPC error (slower: wrk then reads every body).
local tbl = os.getenv("TABLE") or "t"
local counter = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local body = string.format('{"jsonrpc":"2.0","method":"htable.get","params":["%s","k%d"],"id":%d}',
    tbl, counter % 1000, counter)
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
