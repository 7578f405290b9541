-- wrk script: accounting records through POST /RPC into the node's flatstore.
--   OP    (env) insert | insert_batch | rpc_batch      (default insert)
--         insert:       one flatstore.insert per request (one record)
--         insert_batch: one flatstore.insert_batch of BATCH records per request
--         rpc_batch:    a JSON-RPC batch of BATCH flatstore.insert calls per request
--   TABLE (env) accounting table (default "acc")
--   BATCH (env) records per request for insert_batch and rpc_batch (default 100)
--   CHECK=1     count replies that are not HTTP 200 or carry a JSON-RPC error
-- Each record has acc's seven fields (method, from_tag, to_tag, callid, sip_code, sip_reason, time),
-- about the size of the line Kamailio's acc writes for the reference bench's MESSAGE.
local op = os.getenv("OP") or "insert"
local tbl = os.getenv("TABLE") or "acc"
local batch = tonumber(os.getenv("BATCH") or "100")
local counter = 0
local nthreads = 0
local threads = {}
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads); table.insert(threads, thread) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local function record()
  counter = counter + 1
  return string.format('["MESSAGE","a8f3c2%d","b71e%d","%d-%d@bench.example.org",200,"OK",%d]',
    tid, counter % 100000, tid, counter, 1764806400 + counter % 86400)
end

local function insert()
  local r = record()
  return string.format('{"jsonrpc":"2.0","method":"flatstore.insert","params":["%s",%s],"id":%d}',
    tbl, string.sub(r, 2, -2), counter)
end

function request()
  if op == "insert_batch" then
    local rows = {}
    for i = 1, batch do rows[i] = record() end
    return wrk.format(nil, nil, nil, string.format(
      '{"jsonrpc":"2.0","method":"flatstore.insert_batch","params":["%s",[%s]],"id":%d}',
      tbl, table.concat(rows, ","), counter))
  elseif op == "rpc_batch" then
    local calls = {}
    for i = 1, batch do calls[i] = insert() end
    return wrk.format(nil, nil, nil, "[" .. table.concat(calls, ",") .. "]")
  end
  return wrk.format(nil, nil, nil, insert())
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "check.lua")(threads)
