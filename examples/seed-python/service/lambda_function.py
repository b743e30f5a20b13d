"""One of the pipeline's services, written for fanout: for each SQS record (an SNS notification
from the connector topic) it reads the request's document, clears key1, stores its own copy and
tells the notifier topic.

Environment: S3_BUCKET, S3_PREFIX, SNS_TOPIC_ARN_NOTIFIER (as in the article), and SERVICE_NAME,
the stage this copy of the code is (service01, service02, service03)."""
import json
import os

import boto3

PREVIOUS_STAGE = "preprocessor"

s3 = boto3.client("s3")
sns = boto3.client("sns")


def lambda_handler(event, context):
    stage = os.environ["SERVICE_NAME"]
    bucket = os.environ["S3_BUCKET"]
    prefix = os.environ["S3_PREFIX"]
    topic_arn = os.environ["SNS_TOPIC_ARN_NOTIFIER"]

    handled = []
    for record in event["Records"]:
        notification = json.loads(record["body"])
        request_id = json.loads(notification["Message"])["request_id"]

        source = f"{prefix}/{PREVIOUS_STAGE}/{request_id}.json"
        document = json.loads(s3.get_object(Bucket=bucket, Key=source)["Body"].read())
        document["key1"] = None

        target = f"{prefix}/{stage}/{request_id}.json"
        s3.put_object(Bucket=bucket, Key=target, Body=json.dumps(document).encode("utf-8"))
        sns.publish(TopicArn=topic_arn, Message=json.dumps({"request_id": request_id}))
        print(f"{stage}: {source} -> {target}")
        handled.append(request_id)

    return {"statusCode": 200, "body": {"consumed_request_ids": handled}}
