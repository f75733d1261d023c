-- wrk: SQS SendMessage over AWS JSON 1.0 with a 256-byte body.
-- The queue is created by scripts/bench-sqs before wrk starts.
local body = string.rep("x", 256)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
wrk.body = '{"QueueUrl":"http://127.0.0.1:' .. (os.getenv("BENCH_PORT") or "4566") .. '/000000000000/bench-json","MessageBody":"' .. body .. '"}'

-- Non-2xx answers are counted by wrk ("Non-2xx or 3xx responses"); scripts/bench-sqs
-- refuses to report a throughput figure when there are any.
