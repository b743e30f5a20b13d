import Testing

@testable import FanoutSim

@Suite("Handlers made of steps: templates, paths and validation")
struct StepValidationTests {
  @Test("Templates read as Python f-strings: {name}, {name!r}, {name!j}, {{ and }} for braces")
  func testTemplatesParseLikeFStrings() throws {
    let t = try TextTemplate("a{{b}}/{x}-{y!r}-{z!j}")
    #expect(
      t.parts == [
        .literal("a{b}/"), .variable("x", .str), .literal("-"), .variable("y", .repr), .literal("-"),
        .variable("z", .json),
      ])
    #expect(t.variables == ["x", "y", "z"])
    for bad in ["{x", "x}", "{1x}", "{}", "{x!q}", "{x.y}"] {
      #expect(throws: StepSyntaxError.self, "\(bad)") { try TextTemplate(bad) }
    }
    #expect(TextTemplate.literal("{a}").parts == [.literal("{a}")])
    #expect(try TextTemplate(TextTemplate.literal("{a}").source).parts == [.literal("{a}")])
  }

  @Test("Paths: keys by dots, indices in brackets; a malformed path is refused")
  func testJSONPathsParse() throws {
    #expect(
      try JSONPath(parsing: "order.items[0].sku").components == [.key("order"), .key("items"), .index(0), .key("sku")])
    #expect(try JSONPath(parsing: "[2][-1]").components == [.index(2), .index(-1)])
    #expect(try JSONPath(parsing: "").components == [])
    for bad in ["a..b", "a.", ".a", "a[x]", "a[1]b", "a]"] {
      #expect(throws: StepSyntaxError.self, "\(bad)") { try JSONPath(parsing: bad) }
    }
  }

  @Test("A variable used before any step sets it is a problem at that step, with a did-you-mean")
  func testUndefinedVariableIsAProblemAtItsStep() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "order_id")),
        .s3Put(
          S3PutStep(bucket: "b", key: try TextTemplate("o/{order_idd}.json"), body: .text(try TextTemplate("{later}")))),
        .bind([("later", .value(.number(1)))]),
      ])
    let problems = p.problems()
    #expect(problems.count == 2)
    #expect(problems.first?.path == "steps[1].s3Put.key")
    #expect(problems.first?.message.contains("variable 'order_idd' is not defined before this step") == true)
    #expect(problems.first?.message.contains("did you mean 'order_id'?") == true)
    #expect(problems.last?.path == "steps[1].s3Put.body")
  }

  @Test("Record steps in a once-per-invocation program, and reportItemFailures without records, are problems")
  func testRecordStepsNeedForEachRecord() {
    let p = StepProgram(
      forEach: .invocation,
      steps: [.read(ReadStep(source: .body, as: "b")), .publish(PublishStep(topic: "t", message: .record(.message)))],
      reportItemFailures: true)
    let paths = p.problems().map(\.path)
    #expect(paths == ["reportItemFailures", "steps[0].read", "steps[1].publish.message"])
    #expect(p.problems()[1].message.contains("use forEach: record"))
  }

  @Test("An invalid regular expression, a probability over 1 and a DelaySeconds over 900 are problems")
  func testInvalidStepValuesAreProblems() {
    let p = StepProgram(steps: [
      .fail(FailStep(condition: .init(value: .literal("x"), .matches("(")), probability: 1.5)),
      .send(SendStep(queue: "q", body: .text(.literal("x")), delay: .seconds(901))),
    ])
    #expect(
      p.problems().map(\.path) == [
        "steps[0].fail.if.matches", "steps[0].fail.probability", "steps[1].send.DelaySeconds",
      ])
  }

  @Test("A forward handler on the entry function can never do anything: a validation error at the function")
  func testForwardOnTheEntryFunctionIsAValidationError() throws {
    var t = Topology.seedPipeline(services: 1)
    t.functions[0] = FunctionSpec(name: "preprocessor", handler: .forward(topic: "connector", queue: nil))
    let problems = t.problems().filter { $0.severity == .error }
    #expect(problems.count == 1)
    #expect(problems.first?.place == .function("preprocessor", attribute: "handler"))
    #expect(problems.first?.message.contains("entry function") == true)
    #expect(problems.first?.message.contains("every invocation would do nothing") == true)
    #expect(throws: TopologyError.self) { _ = try Simulation(topology: t, seed: 1) }
    // The same handler on a function a queue triggers is fine.
    t.entryFunction = nil
    #expect(t.problems().filter { $0.severity == .error }.isEmpty)
  }

  @Test("A steps handler with forEach: record on the entry function is a validation error at its forEach")
  func testPerRecordStepsOnTheEntryFunctionIsAValidationError() throws {
    var t = Topology.seedPipeline(services: 1)
    t.functions[0] = FunctionSpec(
      name: "preprocessor",
      handler: .steps(
        StepProgram(forEach: .record, steps: [.publish(PublishStep(topic: "connector", message: .record(.message)))])))
    let problems = t.problems().filter { $0.severity == .error }
    #expect(problems.map(\.place) == [.function("preprocessor", attribute: "handler.forEach")])
    t.functions[0].handler = .steps(
      StepProgram(steps: [.publish(PublishStep(topic: "connector", message: .text(.literal("{\"a\": 1}"))))]))
    #expect(t.problems().filter { $0.severity == .error }.isEmpty)
    _ = try Simulation(topology: t, seed: 1)
  }

  @Test("A step naming a bucket, topic or queue that does not exist is refused when the simulation is built")
  func testUnknownNamesAreRefused() {
    for step in [
      Step.s3Get(S3GetStep(bucket: "nope", key: .literal("k"), as: nil)),
      .publish(PublishStep(topic: "nope", message: .text(.literal("m")))),
      .send(SendStep(queue: "nope", body: .text(.literal("m")))),
    ] {
      var t = Topology.seedPipeline(services: 1)
      t.functions.append(FunctionSpec(name: "x", handler: .steps(StepProgram(steps: [step]))))
      #expect(throws: TopologyError.self) { _ = try Simulation(topology: t, seed: 1) }
    }
  }
}
