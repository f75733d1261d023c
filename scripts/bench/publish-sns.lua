-- wrk: SNS Publish (AWS Query) of a 256-byte message with one String attribute (kind=order)
-- to the topic in $BENCH_TOPIC (URL-encoded by the caller).
local body = string.rep("x", 256)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
wrk.body = "Action=Publish&Version=2010-03-31&TopicArn=" .. os.getenv("BENCH_TOPIC") .. "&Message=" .. body
    .. "&MessageAttributes.entry.1.Name=kind&MessageAttributes.entry.1.Value.DataType=String"
    .. "&MessageAttributes.entry.1.Value.StringValue=order"
