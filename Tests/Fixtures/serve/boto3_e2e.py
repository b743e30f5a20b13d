"""Drives a running `fanout serve` with boto3, as an unmodified AWS client would.

Usage: boto3_e2e.py ENDPOINT. Prints one line per check ("ok NAME"); exits 1 on the first failure.
Every call has a short timeout, so the script cannot hang.
"""
import json
import os
import sys
import time

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
cfg = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 1})
sqs = boto3.client("sqs", endpoint_url=endpoint, config=cfg)
sns = boto3.client("sns", endpoint_url=endpoint, config=cfg)


def check(name, cond, detail=""):
    if not cond:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok {name}")


def raises(name, exc, fn):
    try:
        fn()
    except exc as e:
        check(name, True)
        return e
    except Exception as e:  # noqa: BLE001
        check(name, False, f"raised {type(e).__name__}: {e}")
    check(name, False, "did not raise")


# Queues: create (idempotent), URL, list, attributes.
dlq = sqs.create_queue(QueueName="e2e-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
q = sqs.create_queue(
    QueueName="e2e",
    Attributes={"VisibilityTimeout": "30", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})},
)["QueueUrl"]
check("create_queue_is_idempotent", sqs.create_queue(QueueName="e2e-dlq")["QueueUrl"] == dlq)
check("get_queue_url", sqs.get_queue_url(QueueName="e2e")["QueueUrl"] == q)
check("list_queues_prefix", sqs.list_queues(QueueNamePrefix="e2e")["QueueUrls"] == [q, dlq] or
      sorted(sqs.list_queues(QueueNamePrefix="e2e")["QueueUrls"]) == sorted([q, dlq]))
sqs.set_queue_attributes(QueueUrl=q, Attributes={"DelaySeconds": "0", "MaximumMessageSize": "262144"})
attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
check("set_and_get_attributes", attrs["MaximumMessageSize"] == "262144" and json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 1, attrs)

# Send, receive (long poll: the message arrives while the poll waits), delete.
sent = sqs.send_message(QueueUrl=q, MessageBody="hello", MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}})
check("send_message_md5", sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592")
got = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2, MessageAttributeNames=["All"], AttributeNames=["All"])
m = got["Messages"][0]
check("receive_message", m["Body"] == "hello" and m["MessageAttributes"]["kind"]["StringValue"] == "greeting" and m["Attributes"]["ApproximateReceiveCount"] == "1")
sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
check("delete_message", sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0")

t0 = time.monotonic()
empty = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)
waited = time.monotonic() - t0
check("long_poll_waits_then_answers_empty", "Messages" not in empty and 0.8 <= waited < 5, f"{waited:.2f}s")

# Batches.
b = sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": f"m{i}", "MessageBody": f"body {i}"} for i in range(10)])
check("send_message_batch", len(b["Successful"]) == 10 and not b.get("Failed"))
msgs = []
for _ in range(10):
    r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60)
    msgs += r.get("Messages", [])
    if len(msgs) >= 10:
        break
check("receive_batch", sorted(x["Body"] for x in msgs) == sorted(f"body {i}" for i in range(10)), len(msgs))
cv = sqs.change_message_visibility_batch(QueueUrl=q, Entries=[{"Id": f"c{i}", "ReceiptHandle": x["ReceiptHandle"], "VisibilityTimeout": 120} for i, x in enumerate(msgs)])
check("change_message_visibility_batch", len(cv["Successful"]) == 10)
d = sqs.delete_message_batch(QueueUrl=q, Entries=[{"Id": f"d{i}", "ReceiptHandle": x["ReceiptHandle"]} for i, x in enumerate(msgs)])
check("delete_message_batch", len(d["Successful"]) == 10)

# A DLQ redrive: received maxReceiveCount (1) times, the message moves to the DLQ on its next
# receive; StartMessageMoveTask brings it back.
sqs.send_message(QueueUrl=q, MessageBody="poison")
r = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2)
sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=r["Messages"][0]["ReceiptHandle"], VisibilityTimeout=0)
again = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)
check("message_moves_to_dlq", "Messages" not in again and sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "1")
task = sqs.start_message_move_task(SourceArn=dlq_arn)
check("start_message_move_task", "TaskHandle" in task)
back = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=5)
check("redriven_message_arrives", back["Messages"][0]["Body"] == "poison")
sqs.delete_message(QueueUrl=q, ReceiptHandle=back["Messages"][0]["ReceiptHandle"])
tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
check("list_message_move_tasks", tasks[0]["Status"] == "COMPLETED" and tasks[0]["ApproximateNumberOfMessagesMoved"] == 1, tasks)

# SNS: create a topic, subscribe the queue, publish; the envelope arrives in the queue.
topic = sns.create_topic(Name="e2e-topic")["TopicArn"]
q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn)["SubscriptionArn"]
check("subscribe", sub.startswith(topic + ":"))
check("list_subscriptions_by_topic", [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [q_arn])
check("list_topics", topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]])
pub = sns.publish(TopicArn=topic, Message=json.dumps({"request_id": "abc"}), Subject="test",
                  MessageAttributes={"source": {"DataType": "String", "StringValue": "e2e"}})
env = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=5)["Messages"][0]
body = json.loads(env["Body"])
check("sns_envelope_arrives", body["Type"] == "Notification" and body["MessageId"] == pub["MessageId"] and body["TopicArn"] == topic
      and json.loads(body["Message"]) == {"request_id": "abc"} and body["MessageAttributes"]["source"]["Value"] == "e2e", body)
sqs.delete_message(QueueUrl=q, ReceiptHandle=env["ReceiptHandle"])
sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
check("subscription_attributes", sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true")
pb = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "raw one"}, {"Id": "b", "Message": "raw two"}])
check("publish_batch", len(pb["Successful"]) == 2)
raw = []
for _ in range(10):
    raw += [x["Body"] for x in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])]
    if len(raw) >= 2:
        break
check("raw_message_delivery", sorted(raw) == ["raw one", "raw two"], raw)
sns.unsubscribe(SubscriptionArn=sub)
check("unsubscribe", sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [])

# Each error raises its own boto3 exception class.
raises("error_QueueDoesNotExist", sqs.exceptions.QueueDoesNotExist, lambda: sqs.get_queue_url(QueueName="no-such-queue"))
raises("error_QueueNameExists", sqs.exceptions.QueueNameExists, lambda: sqs.create_queue(QueueName="e2e", Attributes={"VisibilityTimeout": "31"}))
raises("error_ReceiptHandleIsInvalid", sqs.exceptions.ReceiptHandleIsInvalid, lambda: sqs.delete_message(QueueUrl=q, ReceiptHandle="AQEBnotahandle"))
raises("error_TooManyEntriesInBatchRequest", sqs.exceptions.TooManyEntriesInBatchRequest,
       lambda: sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": f"m{i}", "MessageBody": "x"} for i in range(11)]))
raises("error_BatchEntryIdsNotDistinct", sqs.exceptions.BatchEntryIdsNotDistinct,
       lambda: sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}]))
sqs.purge_queue(QueueUrl=q)
raises("error_PurgeQueueInProgress", sqs.exceptions.PurgeQueueInProgress, lambda: sqs.purge_queue(QueueUrl=q))
e = raises("error_InvalidParameterValue", sqs.exceptions.ClientError, lambda: sqs.send_message(QueueUrl=q, MessageBody="x" * 262145))
check("error_InvalidParameterValue_code", e.response["Error"]["Code"] == "InvalidParameterValue", e.response)
raises("error_ResourceNotFoundException", sqs.exceptions.ResourceNotFoundException, lambda: sqs.cancel_message_move_task(TaskHandle=task["TaskHandle"]))
raises("error_sns_NotFound", sns.exceptions.NotFoundException, lambda: sns.publish(TopicArn=topic + "-missing", Message="m"))
raises("error_sns_InvalidParameter", sns.exceptions.InvalidParameterException,
       lambda: sns.subscribe(TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x"))
sqs.delete_queue(QueueUrl=q)
raises("error_QueueDoesNotExist_after_delete", sqs.exceptions.QueueDoesNotExist, lambda: sqs.send_message(QueueUrl=q, MessageBody="x"))
raises("error_QueueDeletedRecently", sqs.exceptions.QueueDeletedRecently, lambda: sqs.create_queue(QueueName="e2e"))
# S3, path-style (boto3's default against an endpoint URL).
s3 = boto3.client("s3", endpoint_url=endpoint, config=cfg)
s3.create_bucket(Bucket="e2e-bucket")
check("s3 list buckets", "e2e-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]])
put = s3.put_object(Bucket="e2e-bucket", Key="dir/a.json", Body=b'{"k": 1}')
check("s3 put etag", put["ETag"] == '"' + __import__("hashlib").md5(b'{"k": 1}').hexdigest() + '"')
got = s3.get_object(Bucket="e2e-bucket", Key="dir/a.json")
check("s3 get body", got["Body"].read() == b'{"k": 1}' and got["ContentLength"] == 8)
check("s3 head", s3.head_object(Bucket="e2e-bucket", Key="dir/a.json")["ContentLength"] == 8)
s3.copy_object(Bucket="e2e-bucket", Key="dir/b.json", CopySource={"Bucket": "e2e-bucket", "Key": "dir/a.json"})
listed = s3.list_objects_v2(Bucket="e2e-bucket", Prefix="dir/")
check("s3 list objects", [o["Key"] for o in listed["Contents"]] == ["dir/a.json", "dir/b.json"])
raises("s3 NoSuchKey", s3.exceptions.NoSuchKey, lambda: s3.get_object(Bucket="e2e-bucket", Key="nope"))
raises("s3 NoSuchBucket", s3.exceptions.NoSuchBucket, lambda: s3.list_objects_v2(Bucket="no-such-bucket"))
s3.delete_object(Bucket="e2e-bucket", Key="dir/b.json")
check("s3 delete", [o["Key"] for o in s3.list_objects_v2(Bucket="e2e-bucket")["Contents"]] == ["dir/a.json"])

# Expect: 100-continue (botocore sends it with every PutObject): the server answers the interim
# 100 Continue before the body is sent (RFC 9110 §10.1.1), instead of leaving the client to wait.
import socket
from urllib.parse import urlparse

u = urlparse(endpoint)
with socket.create_connection((u.hostname, u.port), timeout=5) as c:
    c.sendall(
        b"PUT /e2e-bucket/continue.txt HTTP/1.1\r\nHost: " + u.netloc.encode()
        + b"\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = c.recv(1024)
    check("100 continue before the body", interim.startswith(b"HTTP/1.1 100 Continue"), repr(interim))
    c.sendall(b"hi")
    final = c.recv(4096)
    check("the put after 100 continue", final.startswith(b"HTTP/1.1 200"), repr(final[:40]))

# Lambda: the pipeline's functions, a synchronous invoke, an asynchronous one, the mappings.
lam = boto3.client("lambda", endpoint_url=endpoint, config=cfg)
names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
check("lambda list functions", "preprocessor" in names and "service01" in names, str(names))
inv = lam.invoke(FunctionName="preprocessor", Payload=b"{}")
check("lambda invoke", inv["StatusCode"] == 200 and "FunctionError" not in inv, str(inv))
ev = lam.invoke(FunctionName="service01", InvocationType="Event", Payload=b"{}")
check("lambda invoke event", ev["StatusCode"] == 202)
raises("lambda ResourceNotFound", lam.exceptions.ResourceNotFoundException, lambda: lam.invoke(FunctionName="nope"))
maps = lam.list_event_source_mappings()["EventSourceMappings"]
check("lambda mappings", len(maps) >= 3, str(len(maps)))
upd = lam.update_event_source_mapping(UUID=maps[0]["UUID"], Enabled=False)
check("lambda pause mapping", upd["State"] in ("Disabling", "Disabled"), upd["State"])

print("all ok")
