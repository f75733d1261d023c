-- wrk: EventBridge PutEvents (JSON 1.1) of $BENCH_ENTRIES entries per request to the bus
-- $BENCH_BUS, whose $BENCH_RULES rules each match one value of detail.shard (see
-- tests/bench/events_load.rs). Consecutive entries cycle through the shards, so every entry
-- matches exactly one rule. Detail is ~230 bytes.
local bus = os.getenv("BENCH_BUS")
local rules = tonumber(os.getenv("BENCH_RULES"))
local per = tonumber(os.getenv("BENCH_ENTRIES"))
local payload = string.rep("x", 200)
local bodies = {}
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSEvents.PutEvents"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"

function init(args)
  for i = 0, rules - 1 do
    local entries = {}
    for j = 0, per - 1 do
      local shard = (i * per + j) % rules
      entries[#entries + 1] = string.format(
        '{"EventBusName":"%s","Source":"bench.app","DetailType":"Order Placed",'
          .. '"Detail":"{\\"shard\\":%d,\\"payload\\":\\"%s\\"}"}',
        bus, shard, payload)
    end
    bodies[i] = wrk.format(nil, nil, nil, '{"Entries":[' .. table.concat(entries, ",") .. ']}')
  end
end

function request()
  local body = bodies[n % rules]
  n = n + 1
  return body
end
