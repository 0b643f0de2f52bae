import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StoqWire

/// Request context that keeps the channel, so a "dropped connection" fault can really close it.
struct EmulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The error thrown after closing a connection on purpose.
struct ConnectionDropped: Error {}

/// Serves an ``Emulator`` or ``EmulatorShops`` over HTTP/1.1 with Hummingbird, on 127.0.0.1 only.
public enum EmulatorServer {
    /// Runs until cancelled, or until SIGINT or SIGTERM, after which it finishes the requests in
    /// flight and returns (so the caller can write the state).
    /// - Parameters:
    ///   - emulator: the emulator that answers.
    ///   - port: TCP port; 0 picks a free one.
    ///   - onReady: called once with the bound port.
    ///   - afterRequest: called after every request (the command saves state here).
    public static func run(
        _ emulator: Emulator, port: Int, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void,
        afterRequest: @escaping @Sendable () async -> Void = {}
    ) async throws {
        try await serve(
            port: port, logger: logger, onReady: onReady,
            handle: { request in
                let outcome = await emulator.handle(request)
                await afterRequest()
                return outcome
            })
    }

    /// Runs the shops of a state file until cancelled, or until SIGINT or SIGTERM, as the
    /// emulator's `run` does.
    /// - Parameters:
    ///   - afterRequest: called after every request with the shop that answered it and its log entry.
    public static func run(
        _ shops: EmulatorShops, port: Int, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void,
        afterRequest: @escaping @Sendable (ShopRequest) async -> Void = { _ in }
    ) async throws {
        try await serve(
            port: port, logger: logger, onReady: onReady,
            handle: { request in
                let handled = await shops.handleLogged(request)
                await afterRequest(handled)
                return handled.outcome
            })
    }

    private static func serve(
        port: Int, logger: Logger, onReady: @escaping @Sendable (Int) async -> Void,
        handle: @escaping @Sendable (WireRequest) async -> EmulatorOutcome
    ) async throws {
        let responder = CallbackResponder<EmulatorContext> { request, context in
            let body = try await request.body.collect(upTo: 64 << 20)
            let wire = WireRequest(
                method: request.method,
                path: request.uri.path,
                query: WireHeaders.parseQuery(Substring(request.uri.query ?? "")),
                headers: request.headers,
                body: Array(buffer: body))
            let outcome = await handle(wire)
            switch outcome {
            case .dropped:
                try? await context.channel.close()
                throw ConnectionDropped()
            case .response(let r):
                return Response(
                    status: r.status, headers: r.headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: r.body)))
            }
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in
                await onReady(channel.localAddress?.port ?? port)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
