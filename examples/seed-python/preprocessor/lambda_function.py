"""The pipeline's entry function, written for fanout: it names a new request, stores the
request's document in S3 and announces the request on the connector topic.

Environment (as in the article): S3_BUCKET, S3_PREFIX, SNS_TOPIC_ARN_CONNECTOR. boto3 reaches
fanout serve through AWS_ENDPOINT_URL, which fanout sets for the process."""
import hashlib
import json
import os
from datetime import datetime

import boto3

STAGE = "preprocessor"

s3 = boto3.client("s3")
sns = boto3.client("sns")


def new_request_id():
    """The MD5 hex digest of the current time to the microsecond."""
    now = datetime.now().strftime("%Y%m%d%H%M%S%f")
    return hashlib.md5(now.encode()).hexdigest()


def lambda_handler(event, context):
    bucket = os.environ["S3_BUCKET"]
    prefix = os.environ["S3_PREFIX"]
    topic_arn = os.environ["SNS_TOPIC_ARN_CONNECTOR"]

    request_id = new_request_id()
    document = {"key1": "val1", "key2": "val2", "key3": "val3"}
    key = f"{prefix}/{STAGE}/{request_id}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode("utf-8"))
    print(f"stored s3://{bucket}/{key}")

    announcement = {"request_id": request_id}
    published = sns.publish(TopicArn=topic_arn, Message=json.dumps(announcement))
    print(f"published {published['MessageId']} for {request_id}")

    return {"statusCode": 200, "body": announcement}
