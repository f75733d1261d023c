-- wrk: SQS SendMessage over the AWS Query protocol with a 256-byte body.
local body = string.rep("x", 256)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
wrk.body = "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2F127.0.0.1%3A" .. (os.getenv("BENCH_PORT") or "4566") .. "%2F000000000000%2Fbench-query&MessageBody=" .. body
