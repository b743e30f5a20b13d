"""Drives examples/seed-python/pipeline.yaml under fanout serve: subscribes a queue to the
notifier topic, fires the preprocessor twice with Lambda Invoke (as the console's Test button
does), and waits (at most 90 s) for each request's four objects and three notifications. Prints
JSON: each request's objects and how many notifications it had."""
import json
import sys
import time

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
sqs = boto3.client("sqs", **kw)
sns = boto3.client("sns", **kw)
s3 = boto3.client("s3", **kw)
lam = boto3.client("lambda", **kw)
limit = time.monotonic() + 90

url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn="arn:aws:sns:us-east-1:123456789012:notifier", Protocol="sqs", Endpoint=arn,
              Attributes={"RawMessageDelivery": "true"})

def stored(stage):
    listed = s3.list_objects_v2(Bucket="fanout-bucket", Prefix=f"fanout/{stage}/").get("Contents", [])
    return sorted(o["Key"].rsplit("/", 1)[1].removesuffix(".json") for o in listed)


answered = []
for _ in range(2):
    r = lam.invoke(FunctionName="preprocessor", Payload=b"{}")
    assert r["StatusCode"] == 200 and "FunctionError" not in r, r
    # The handler's return value: {"statusCode": 200, "body": {"request_id": ...}}.
    answered.append(json.loads(r["Payload"].read())["body"]["request_id"])
# The request IDs are the preprocessor's objects' names, and its answers.
requests = stored("preprocessor")
assert sorted(answered) == requests, (answered, requests)

stages = ["preprocessor", "service01", "service02", "service03"]
notified = {rid: 0 for rid in requests}
while True:
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        rid = json.loads(m["Body"])["request_id"]
        notified[rid] = notified.get(rid, 0) + 1
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="fanout-bucket", Prefix="fanout/").get("Contents", [])}
    done = all(f"fanout/{s}/{rid}.json" in keys for s in stages for rid in requests)
    if done and all(notified[rid] >= 3 for rid in requests):
        break
    if time.monotonic() > limit:
        print(json.dumps({"error": "timed out", "keys": sorted(keys), "notified": notified}))
        sys.exit(1)
time.sleep(1)  # any late duplicate notification would show here
for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
    rid = json.loads(m["Body"])["request_id"]
    notified[rid] = notified.get(rid, 0) + 1

out = {"requests": {}}
for rid in requests:
    objects = {s: json.loads(s3.get_object(Bucket="fanout-bucket", Key=f"fanout/{s}/{rid}.json")["Body"].read())
               for s in stages}
    out["requests"][rid] = {"objects": objects, "notifications": notified[rid]}
print(json.dumps(out))
