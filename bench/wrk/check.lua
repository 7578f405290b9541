-- Shared by the wrk scripts: with CHECK=1, count replies that are not HTTP 200 or carry a JSON-RPC
-- error (wrk then reads every body) and print the sum of all threads at the end.
-- Usage: dofile(<this directory> .. "check.lua")(threads), threads being the script's setup() list.
return function(threads)
  if os.getenv("CHECK") ~= "1" then return end
  function response(status, headers, body)
    if status ~= 200 or string.find(body, '"error"', 1, true) then errs = (errs or 0) + 1 end
  end
  function done(summary, latency, requests)
    local n = 0
    for _, t in ipairs(threads) do n = n + (t:get("errs") or 0) end
    io.write(string.format("requests with rpc errors: %d\n", n))
  end
end
