-- wrk script: POST /RPC a JSON-RPC batch of BATCH (env, default 100) htable.get calls on
-- <TABLE> k<0..999> per request. Operations = BATCH x requests.
-- TABLE (env, default "t"); CHECK=1 counts replies that are not HTTP 200 or hold a JSON-RPC error.
local tbl = os.getenv("TABLE") or "t"
local batch = tonumber(os.getenv("BATCH") or "100")
local counter = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  local calls = {}
  for i = 1, batch do
    counter = counter + 1
    calls[i] = string.format('{"jsonrpc":"2.0","method":"htable.get","params":["%s","k%d"],"id":%d}',
      tbl, counter % 1000, counter)
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(calls, ",") .. "]")
end
if os.getenv("CHECK") == "1" then
  function response(status, headers, body)
    if status ~= 200 or string.find(body, '"error"', 1, true) then errs = (errs or 0) + 1 end
  end
  function done(summary, latency, requests)
    local n = 0
    for _, t in ipairs(threads) do n = n + (t:get("errs") or 0) end
    io.write(string.format("batches with rpc errors: %d\n", n))
  end
end
