"""Drives runtime.yaml under fanout serve with boto3: `drive.py ENDPOINT MODE`, MODE one of ok,
raise, sleep, exit, init. Waits (at most 60 s of wall time) for the outcome and prints it as JSON."""
import json
import sys
import time

import boto3

endpoint, mode = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
sqs = boto3.client("sqs", **kw)
s3 = boto3.client("s3", **kw)
limit = time.monotonic() + 60


def wait(cond, what):
    while not cond():
        if time.monotonic() > limit:
            print(json.dumps({"error": "timed out waiting for " + what}))
            sys.exit(1)
        time.sleep(0.1)


def count(queue):
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def objects():
    return s3.list_objects_v2(Bucket="runtime-bucket", Prefix="ok/").get("Contents", [])


url = sqs.get_queue_url(QueueName=mode)["QueueUrl"]
if mode == "ok":
    sqs.send_message(QueueUrl=url, MessageBody="first")
    wait(lambda: count("ok") == 0 and len(objects()) == 1, "the first message")
    sqs.send_message(QueueUrl=url, MessageBody="second")
    wait(lambda: count("ok") == 0 and len(objects()) == 2, "the second message")
    bodies = [json.loads(s3.get_object(Bucket="runtime-bucket", Key=o["Key"])["Body"].read()) for o in objects()]
    print(json.dumps({"objects": bodies}))
else:
    sqs.send_message(QueueUrl=url, MessageBody="m-" + mode)
    wait(lambda: count(mode + "-dlq") == 1, "the message in the DLQ")
    print(json.dumps({"dlq": count(mode + "-dlq"), "queue": count(mode)}))
