"""A function for fanout's Runtime API tests, run by AWS's runtime interface client
(python3 -m awslambdaric app.handler). What it does depends on BEHAVIOUR: ok, raise, sleep, exit."""
import json
import os
import sys
import time

import boto3

BEHAVIOUR = os.environ["BEHAVIOUR"]
s3 = boto3.client("s3")
# A slow init (INIT_SLEEP seconds at import): Lambda's init phase, apart from the handler's timeout.
time.sleep(float(os.environ.get("INIT_SLEEP", "0")))


def handler(event, context):
    body = event["Records"][0]["body"]
    print(
        f"handled {BEHAVIOUR} body={body} pid={os.getpid()} "
        f"function={os.environ['AWS_LAMBDA_FUNCTION_NAME']} memory={os.environ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']} "
        f"timeout={os.environ['AWS_LAMBDA_FUNCTION_TIMEOUT']} exec_env={os.environ['AWS_EXECUTION_ENV']} "
        f"remaining_ms={context.get_remaining_time_in_millis()} request={context.aws_request_id}",
        flush=True,
    )
    if BEHAVIOUR == "ok":
        s3.put_object(Bucket="runtime-bucket", Key=f"ok/{context.aws_request_id}.json",
                      Body=json.dumps({"pid": os.getpid(), "body": body}))
        return {"pid": os.getpid()}
    if BEHAVIOUR == "raise":
        raise ValueError(f"cannot handle {body}")
    if BEHAVIOUR == "sleep":
        time.sleep(60)
        return None
    if BEHAVIOUR == "exit":
        print("exiting with status 3", file=sys.stderr, flush=True)
        os._exit(3)
    raise RuntimeError("unknown BEHAVIOUR " + BEHAVIOUR)
