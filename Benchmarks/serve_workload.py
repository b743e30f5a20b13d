#!/usr/bin/env python3
"""A boto3 workload against an AWS-compatible endpoint (`fanout serve`, moto's server, ...).

Creates a queue and a bucket, then runs N rounds of

    SendMessage        one message (a short text body)
    ReceiveMessage     MaxNumberOfMessages=1, WaitTimeSeconds=--wait (1 by default)
    DeleteMessage      the message just received
    PutObject          a --object-size body (1 KB by default), bytes
    GetObject          the object just put, read to the end

on one client thread (--threads T: T threads, each with its own boto3 client, its own queue and
its own keys; one bucket).

ReceiveMessage long-polls (WaitTimeSeconds=1) by default: the message just sent is there, so a
long poll answers at once. A short poll (--wait 0) may answer empty: SQS asks only a sample of
its servers ("With short polling, the ReceiveMessage request queries only a subset of the
servers", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html),
and fanout models that (32 of 1,024 servers, so one visible message is seen by 1 poll in 32)
while moto returns every message. The round then asks again, each attempt timed as one
ReceiveMessage, and the empty answers are counted (`empty_receives`).

botocore puts `Expect: 100-continue` on PutObject and waits up to 1 s for the server's
`100 Continue` before sending the body; --no-expect-continue drops the header (it is not signed).

--warmup rounds per thread run first and are not measured. Every call is timed with
perf_counter around the boto3 call (botocore's serialisation, signing and parsing included:
what a client sees).

Prints one JSON line: the endpoint, the parameters, the measured wall time, operations per
second over all calls, and for each operation its count, calls per second, mean, p50 and p99
latency in milliseconds, and errors.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid

import boto3
from botocore.config import Config

OPERATIONS = ["SendMessage", "ReceiveMessage", "DeleteMessage", "PutObject", "GetObject"]


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, int(round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def drop_expect_header(request, **kwargs):
    """botocore's before-send hook: no `Expect: 100-continue` (not a signed header)."""
    if "Expect" in request.headers:
        del request.headers["Expect"]


def make_clients(endpoint, timeout, expect_continue=True):
    config = Config(
        region_name="us-east-1",
        retries={"total_max_attempts": 1},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=2,
        s3={"addressing_style": "path"},
    )
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=endpoint, config=config)
    if not expect_continue:
        s3.meta.events.register("before-send.s3", drop_expect_header)
    return session.client("sqs", endpoint_url=endpoint, config=config), s3


class Worker:
    def __init__(self, index, args, run_id, bucket):
        self.index = index
        self.args = args
        self.bucket = bucket
        self.sqs, self.s3 = make_clients(args.endpoint, args.timeout, args.expect_continue)
        self.queue_name = f"bench-{run_id}-{index}"
        self.queue_url = None
        self.body = (b"0123456789abcdef" * ((args.object_size + 15) // 16))[: args.object_size]
        self.latencies = {op: [] for op in OPERATIONS}
        self.errors = {op: 0 for op in OPERATIONS}
        self.empty_receives = 0
        self.failure = None

    def setup(self):
        self.queue_url = self.sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]

    def timed(self, op, measure, call, **kwargs):
        start = time.perf_counter()
        try:
            result = call(**kwargs)
            if op == "GetObject":
                result["Body"].read()
        except Exception:
            if measure:
                self.errors[op] += 1
            raise
        finally:
            if measure:
                self.latencies[op].append(time.perf_counter() - start)
        return result

    def round(self, number, measure):
        self.timed(
            "SendMessage",
            measure,
            self.sqs.send_message,
            QueueUrl=self.queue_url,
            MessageBody=f"message {self.index}-{number}",
        )
        messages = []
        attempts = 0
        while not messages:
            attempts += 1
            if attempts > self.args.max_receive_attempts:
                raise RuntimeError(f"no message after {attempts - 1} ReceiveMessage calls")
            answer = self.timed(
                "ReceiveMessage",
                measure,
                self.sqs.receive_message,
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=self.args.wait,
            )
            messages = answer.get("Messages", [])
            if not messages and measure:
                self.empty_receives += 1
        for message in messages:
            self.timed(
                "DeleteMessage",
                measure,
                self.sqs.delete_message,
                QueueUrl=self.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
            )
        key = f"{self.queue_name}/object-{number % self.args.keys}"
        self.timed("PutObject", measure, self.s3.put_object, Bucket=self.bucket, Key=key, Body=self.body)
        self.timed("GetObject", measure, self.s3.get_object, Bucket=self.bucket, Key=key)

    def run(self, barrier):
        try:
            for number in range(self.args.warmup):
                self.round(number, measure=False)
        except Exception as error:  # noqa: BLE001 - reported in the JSON line
            self.failure = f"warmup: {error!r}"
        barrier.wait()
        if self.failure:
            return
        try:
            for number in range(self.args.rounds):
                self.round(number, measure=True)
        except Exception as error:  # noqa: BLE001
            self.failure = f"round: {error!r}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4747"))
    parser.add_argument("--rounds", "-n", type=int, default=500, help="measured rounds per thread (default 500)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds per thread first (default 20)")
    parser.add_argument("--threads", "-t", type=int, default=1, help="client threads (default 1)")
    parser.add_argument("--wait", type=int, default=1, help="ReceiveMessage WaitTimeSeconds (default 1)")
    parser.add_argument(
        "--no-expect-continue",
        dest="expect_continue",
        action="store_false",
        help="drop the Expect: 100-continue header botocore puts on PutObject",
    )
    parser.add_argument("--object-size", type=int, default=1024, help="PutObject body in bytes (default 1024)")
    parser.add_argument("--keys", type=int, default=10, help="distinct object keys per thread, reused (default 10)")
    parser.add_argument(
        "--max-receive-attempts", type=int, default=1000, help="ReceiveMessage calls a round may take (default 1000)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="connect and read timeout, seconds")
    parser.add_argument("--label", default=None, help="a name for the server, copied into the JSON line")
    args = parser.parse_args()

    run_id = uuid.uuid4().hex[:8]
    bucket = f"bench-{run_id}"
    _, s3 = make_clients(args.endpoint, args.timeout)
    s3.create_bucket(Bucket=bucket)
    workers = [Worker(index, args, run_id, bucket) for index in range(args.threads)]
    for worker in workers:
        worker.setup()

    started = [None]

    def mark_start():
        started[0] = time.perf_counter()

    barrier = threading.Barrier(args.threads, action=mark_start)
    threads = [threading.Thread(target=worker.run, args=(barrier,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started[0]

    operations = {}
    total = 0
    for op in OPERATIONS:
        values = sorted(v for worker in workers for v in worker.latencies[op])
        total += len(values)
        operations[op] = {
            "count": len(values),
            "per_second": round(len(values) / wall, 1) if wall > 0 else None,
            "mean_ms": round(1000 * sum(values) / len(values), 3) if values else None,
            "p50_ms": round(1000 * percentile(values, 0.50), 3) if values else None,
            "p99_ms": round(1000 * percentile(values, 0.99), 3) if values else None,
            "errors": sum(worker.errors[op] for worker in workers),
        }
    failures = [worker.failure for worker in workers if worker.failure]
    print(
        json.dumps(
            {
                "label": args.label,
                "endpoint": args.endpoint,
                "threads": args.threads,
                "rounds_per_thread": args.rounds,
                "warmup_per_thread": args.warmup,
                "wait_time_seconds": args.wait,
                "expect_continue": args.expect_continue,
                "object_size": args.object_size,
                "wall_seconds": round(wall, 3),
                "operations_per_second": round(total / wall, 1) if wall > 0 else None,
                "operations": operations,
                "empty_receives": sum(worker.empty_receives for worker in workers),
                "failures": failures,
            }
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
