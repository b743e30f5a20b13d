// MARK: - The built-in scenario

extension Topology {
  /// The pipeline of the seed article: a preprocessor writes a JSON object to S3 and publishes its
  /// request ID to the `connector` topic, which fans out to one queue per service; each service
  /// function reads the object, sets `key1` to null, writes it under its own prefix and publishes
  /// to the `notifier` topic, whose e-mail subscription is a recording sink.
  ///
  /// One addition to the article: each service queue has a dead-letter queue
  /// (`<queue>-dlq`, maxReceiveCount 5, AWS's recommended minimum) so that a broken service ends
  /// in a DLQ instead of retrying for the four-day retention period.
  public static func seedPipeline(services: Int = 3, bucket: String = "fanout-bucket", prefix: String = "fanout")
    -> Topology
  {
    var t = Topology()
    let names = (1...max(1, services)).map { "service" + ($0 < 10 ? "0" : "") + String($0) }
    t.buckets = [BucketSpec(name: bucket)]
    t.topics = [
      TopicSpec(name: "connector", subscriptions: names.map { SubscriptionSpec(endpoint: .queue($0)) }),
      TopicSpec(name: "notifier", subscriptions: [SubscriptionSpec(endpoint: .sink("email"))]),
    ]
    for n in names {
      var q = QueueSpec(name: n)
      q.redrive = (deadLetterQueue: n + "-dlq", maxReceiveCount: 5)
      t.queues.append(q)
      var dlq = QueueSpec(name: n + "-dlq")
      dlq.messageRetentionPeriod = .seconds(1_209_600)
      t.queues.append(dlq)
    }
    t.functions = [
      FunctionSpec(
        name: "preprocessor",
        handler: .seedPreprocessor(bucket: bucket, prefix: prefix, stage: "preprocessor", topic: "connector"))
    ]
    for n in names {
      t.functions.append(
        FunctionSpec(
          name: n,
          handler: .seedService(bucket: bucket, prefix: prefix, previous: "preprocessor", stage: n, topic: "notifier")
        ))
      t.mappings.append(MappingSpec(queue: n, function: n))
    }
    t.entryFunction = "preprocessor"
    return t
  }
}

/// The object the seed preprocessor writes: Python's `json.dumps` of its dict.
public let seedPreprocessorBody = "{\"key1\": \"val1\", \"key2\": \"val2\", \"key3\": \"val3\"}"

// MARK: - The article's handlers as programs

extension StepProgram {
  /// The key template `<os.path.join(prefix, folder)>/{request_id}.json`: the folder is text the
  /// code writes, the ID the variable's text.
  static func seedKey(prefix: String, folder: String) -> TextTemplate {
    let dir = pathJoin([prefix, folder])
    let literal = TextTemplate.literal(dir.isEmpty ? "" : dir + "/").source
    // Braces in the folder are escaped by `literal`, so the template always parses.
    return (try? TextTemplate(literal + "{request_id}.json")) ?? .literal(dir)
  }

  /// The seed preprocessor as steps:
  ///
  /// ```python
  /// request_id = hashlib.md5(datetime.now().strftime("%Y%m%d%H%M%S%f").encode()).hexdigest()
  /// s3.put_object(Bucket=bucket, Key=f"{prefix}/{stage}/{request_id}.json",
  ///               Body=json.dumps({"key1": "val1", "key2": "val2", "key3": "val3"}))
  /// sns.publish(TopicArn=topic, Message=json.dumps({"request_id": request_id}))
  /// ```
  public static func seedPreprocessor(bucket: String, prefix: String, stage: String, topic: String) -> StepProgram {
    StepProgram(
      forEach: .invocation,
      steps: [
        .newID(NewIDStep(.md5Timestamp, as: "request_id")),
        .s3Put(
          S3PutStep(
            bucket: bucket, key: seedKey(prefix: prefix, folder: stage),
            body: .json(.value(JSONValue.parse(seedPreprocessorBody) ?? .null)))),
        .publish(PublishStep(topic: topic, message: .json(.object([("request_id", .variable("request_id"))])))),
      ])
  }

  /// A seed service as steps, for each record:
  ///
  /// ```python
  /// request_id = json.loads(json.loads(record["body"])["Message"])["request_id"]
  /// obj = s3.get_object(Bucket=bucket, Key=f"{prefix}/{previous}/{request_id}.json")
  /// data = json.loads(obj["Body"].read()); data[field] = value
  /// s3.put_object(Bucket=bucket, Key=f"{prefix}/{stage}/{request_id}.json", Body=json.dumps(data))
  ///     # idempotent: IfNoneMatch="*", and a 412 skips the record
  /// sns.publish(TopicArn=topic, Message=json.dumps({"request_id": request_id}))
  /// ```
  ///
  /// then the request completes `stage`.
  public static func seedService(
    bucket: String, prefix: String, previous: String, stage: String, topic: String, edit: SeedEdit = SeedEdit(),
    idempotent: Bool = false
  ) -> StepProgram {
    StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .envelope, path: JSONPath([.key("request_id")]), as: "request_id")),
        .s3Get(S3GetStep(bucket: bucket, key: seedKey(prefix: prefix, folder: previous), as: "obj")),
        .s3Put(
          S3PutStep(
            bucket: bucket, key: seedKey(prefix: prefix, folder: stage),
            body: .edit(variable: "obj", set: [(edit.field, .value(edit.value))]), ifNoneMatch: idempotent,
            onExists: .skip)),
        .publish(PublishStep(topic: topic, message: .json(.object([("request_id", .variable("request_id"))])))),
        .complete(stage: stage),
      ])
  }

  /// `forward`: each record's message (the SNS envelope's `Message`, or the body) passed on
  /// unchanged to a topic or a queue.
  public static func forward(topic: String?, queue: String?) -> StepProgram {
    var steps: [Step] = []
    if let topic { steps.append(.publish(PublishStep(topic: topic, message: .record(.message)))) }
    if let queue { steps.append(.send(SendStep(queue: queue, body: .record(.message)))) }
    return StepProgram(forEach: .record, steps: steps)
  }
}
