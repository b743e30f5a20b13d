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
