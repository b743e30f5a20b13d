"""Hostile input against a running `fanout serve`: malformed and oversized requests, a slow
client, and 100 concurrent clients. Prints "ok NAME" per check; exits 1 on a failure. Every
socket has a timeout, so nothing can hang.

Usage: hostile.py HOST PORT
"""
import json
import os
import socket
import sys
import threading

import boto3
from botocore.config import Config

host, port = sys.argv[1], int(sys.argv[2])


def check(name, cond, detail=""):
    if not cond:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok {name}")


def raw(request: bytes, timeout=10.0) -> bytes:
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(request)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
        return out
    finally:
        s.close()


def post(headers: dict, body: bytes) -> bytes:
    h = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return raw(f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{h}\r\n".encode() + body)


def status(resp: bytes) -> int:
    return int(resp.split(b" ", 2)[1])


r = post({"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}, b'{"QueueUrl": ')
check("malformed_json_is_400", status(r) == 400 and b"SerializationException" in r, r[:300])
r = post({"Content-Type": "application/x-www-form-urlencoded"}, b"Action=ListQueues&Version=2012-11-05&x=%ZZ")
check("malformed_form_is_400", status(r) == 400 and b"MalformedQueryString" in r, r[:300])
r = post({"Content-Type": "application/x-www-form-urlencoded"}, b"Action=Nope&Version=2012-11-05")
check("unknown_action_is_400", status(r) == 400 and b"InvalidAction" in r, r[:300])
r = post({"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}, os.urandom(4096))
check("random_bytes_are_400", status(r) == 400, r[:300])
big = b'{"QueueUrl":"x","MessageBody":"' + b"a" * (3 * 1024 * 1024) + b'"}'
r = post({"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}, big)
check("oversized_body_is_413", status(r) == 413 and b"RequestEntityTooLarge" in r, r[:300])
# A body larger than declared (chunked, no Content-Length) is cut off at the limit too.
chunk = b"a" * (1024 * 1024)
req = (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
       "X-Amz-Target: AmazonSQS.SendMessage\r\nContent-Type: application/x-amz-json-1.0\r\n\r\n").encode()
for _ in range(3):
    req += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
req += b"0\r\n\r\n"
r = raw(req)
check("oversized_chunked_body_is_413", status(r) == 413, r[:300])
r = raw(b"GARBAGE\r\n\r\n")
check("garbage_request_line_gets_an_answer_or_a_close", r == b"" or r.startswith(b"HTTP/1.1 4"), r[:200])

# A slow client: half a request, then silence; the server keeps serving others meanwhile.
slow = socket.create_connection((host, port), timeout=10)
slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")

os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
endpoint = f"http://{host}:{port}"
cfg = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 1}, max_pool_connections=100)
sqs = boto3.client("sqs", endpoint_url=endpoint, config=cfg)
q = sqs.create_queue(QueueName="hostile")["QueueUrl"]
check("served_while_a_slow_client_waits", q.endswith("/hostile"))

# 100 concurrent clients, each its own session, each sending 5 messages; then every message is
# received and deleted: nothing lost, nothing doubled.
errors = []


def client(i):
    try:
        c = boto3.session.Session().client("sqs", endpoint_url=endpoint, config=cfg)
        for j in range(5):
            c.send_message(QueueUrl=q, MessageBody=f"{i}-{j}")
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))


threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=120)
check("hundred_concurrent_clients_no_error", not errors and not any(t.is_alive() for t in threads), errors[:3])
seen = []
for _ in range(200):
    r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    ms = r.get("Messages", [])
    if not ms and len(seen) >= 500:
        break
    seen += [m["Body"] for m in ms]
    if ms:
        sqs.delete_message_batch(QueueUrl=q, Entries=[{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(ms)])
check("nothing_lost", sorted(seen) == sorted(f"{i}-{j}" for i in range(100) for j in range(5)), f"{len(seen)} received")
slow.close()
print("all ok")
