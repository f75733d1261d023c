-- wrk: SQS SendMessage over AWS JSON 1.0 with a 256-byte body, signed with SigV4 by a key the
-- emulator knows (scripts/bench-sqs starts it with --credentials-map and computes the
-- Authorization for this exact request and its X-Amz-Date, passed in BENCH_AUTH and
-- BENCH_DATE): every request is verified in full (body hash, canonical request, HMAC with the
-- cached signing key). The same bytes are replayed, as a client resending within the
-- 15-minute window would.
local body = string.rep("x", 256)
wrk.method = "POST"
wrk.headers["Host"] = "127.0.0.1:" .. (os.getenv("BENCH_PORT") or "4566")
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.headers["X-Amz-Date"] = os.getenv("BENCH_DATE")
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.body = '{"QueueUrl":"http://127.0.0.1:' .. (os.getenv("BENCH_PORT") or "4566") .. '/000000000000/bench-json","MessageBody":"' .. body .. '"}'
