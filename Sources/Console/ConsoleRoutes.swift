import Agent
import Foundation
import HTTPTypes
import Hummingbird
import Monitor
import PolicyStore

/// The console's routes. Reads come from `MonitorState` (the agent's last snapshot) or the
/// store; changes and traces run netsh commands through `PolicyEditor` on a queue of their
/// own, one at a time, never on the agent's loop.
struct ConsoleRoutes: Sendable {
    let state: MonitorState
    let editor: PolicyEditor
    let access: ConsoleAccess
    let host: String
    /// Told every change the console made or refused (the agent's log).
    let audit: @Sendable (_ command: String, _ outcome: String) -> Void
    private let work = DispatchQueue(label: "ward.console.store")

    init(state: MonitorState, editor: PolicyEditor, access: ConsoleAccess, host: String,
         audit: @escaping @Sendable (_ command: String, _ outcome: String) -> Void) {
        self.state = state
        self.editor = editor
        self.access = access
        self.host = host
        self.audit = audit
    }

    func add(to router: Router<ConsoleContext>) {
        router.get("/") { _, context in page(.monitor, context, MonitorPage.body()) }
        router.get("/login") { _, _ in Response(status: .seeOther, headers: [.location: "/"]) }
        router.get("/policy") { request, context in
            let catalog = await onStoreQueue { editor.catalog() }
            let message = request.uri.queryParameters["message"].map(String.init)
            return page(.policy, context, PolicyPage.body(catalog: catalog, inForce: state.current.snapshot?.layers ?? [], role: context.role,
                                                          csrf: access.administratorCSRF, message: message))
        }
        router.post("/policy/rule") { _, context in
            let form = context.form
            guard let store = form["store"].flatMap(Self.machineStore), let policy = form["policy"], let rule = form["rule"],
                  let activate = form["activate"].flatMap(Self.yesNo) else {
                return AccessMiddleware.text(.badRequest, "400 Bad Request: store (local or persistent), policy, rule and activate (yes or no) are required\n")
            }
            return await change(.activateRule(store: store, policy: policy, rule: rule, active: activate))
        }
        router.post("/policy/assign") { _, context in
            let form = context.form
            guard let store = form["store"].flatMap(Self.machineStore), let policy = form["policy"],
                  let assign = form["assign"].flatMap(Self.yesNo) else {
                return AccessMiddleware.text(.badRequest, "400 Bad Request: store (local or persistent), policy and assign (yes or no) are required\n")
            }
            return await change(.assignPolicy(store: store, policy: policy, assigned: assign))
        }
        router.get("/rsop") { _, context in page(.rsop, context, ResultantSetOfPolicyPage.body(state.current.snapshot)) }
        router.get("/trace") { request, context in
            var values: [String: String] = [:]
            for field in TracePage.fields {
                if let value = request.uri.queryParameters[Substring(field.tag)], !value.isEmpty { values[field.tag] = String(value) }
            }
            var result: Result<String, ConsoleError>?
            if !values.isEmpty {
                let parameters = TracePage.fields.compactMap { field in values[field.tag].map { (field.tag, $0) } }
                result = await onStoreQueue { editor.trace(parameters) }
            }
            return page(.trace, context, TracePage.body(values: values, result: result))
        }
        router.get("/api/monitor") { _, _ in
            let current = state.current
            guard let snapshot = current.snapshot else { return AccessMiddleware.text(.serviceUnavailable, "no snapshot from the agent yet\n") }
            return json(MonitorView(snapshot, generation: current.generation))
        }
        router.get("/api/history") { _, _ in json(HistoryView(state.current.history)) }
        router.get("/api/events") { _, _ in events() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: state.metrics.exposition())))
        }
        router.get("/static/console.css") { _, _ in asset(ConsoleAssets.stylesheet, "text/css; charset=utf-8") }
        router.get("/static/console.js") { _, _ in asset(ConsoleAssets.script, "text/javascript; charset=utf-8") }
        router.get("/static/chart.js") { _, _ in
            guard let script = FileManager.default.contents(atPath: ConsoleAssets.chartScriptPath) else {
                return AccessMiddleware.text(.notFound, "Chart.js is not installed (Debian's libjs-chart.js)\n")
            }
            return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: script)))
        }
    }

    /// A change through netsh; back to the policy page with netsh's answer (or its error).
    private func change(_ change: PolicyEditor.Change) async -> Response {
        let outcome = await onStoreQueue { editor.apply(change) }
        let command = PolicyEditor.lines(for: change).joined(separator: "; ")
        let message: String
        switch outcome {
        case .success(let output):
            message = output.isEmpty ? "Done: " + (PolicyEditor.lines(for: change).last ?? "") : output
            audit(command, "done")
        case .failure(let error):
            message = "Error: " + error.description
            audit(command, error.description)
        }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        var response = Response(status: .seeOther, headers: [.location: "/policy?message=" + (message.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")])
        response.headers[HTTPField.Name("X-Ward-Result")!] = (try? outcome.get()) == nil ? "error" : "done"
        return response
    }

    private func onStoreQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in work.async { continuation.resume(returning: body()) } }
    }

    private func page(_ section: PageLayout.Section, _ context: ConsoleContext, _ body: String) -> Response {
        let html = PageLayout.page(section, role: context.role, csrf: context.role == .administrator ? access.administratorCSRF : nil,
                                   host: host, body: body)
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func asset(_ text: String, _ type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return AccessMiddleware.text(.internalServerError, "cannot encode\n") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Server-sent events: each new snapshot as one `data:` line of `MonitorView` JSON, for up
    /// to ten minutes (the page's EventSource reconnects by itself).
    private func events() -> Response {
        let state = state
        let body = ResponseBody { writer in
            var seen = -1
            let end = ContinuousClock.now + .seconds(600)
            let encoder = JSONEncoder()
            while ContinuousClock.now < end {
                let current = state.current
                if let snapshot = current.snapshot, current.generation != seen {
                    seen = current.generation
                    let data = try encoder.encode(MonitorView(snapshot, generation: current.generation))
                    try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: body)
    }

    /// The stores the console changes: this machine's (the domain's policy is changed in the domain store).
    static func machineStore(_ text: String) -> StoreLocation? {
        guard let store = StoreLocation(rawValue: text.lowercased()), store == .local || store == .persistent else { return nil }
        return store
    }

    static func yesNo(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "y": true
        case "no", "n": false
        default: nil
        }
    }
}
