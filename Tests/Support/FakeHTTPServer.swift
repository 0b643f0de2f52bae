import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on 127.0.0.1 that answers what a test wants, however wrong.
///
/// For servers stoqctl's own emulator cannot be. Each connection carries one request and is
/// closed after the answer.
public final class FakeHTTPServer: @unchecked Sendable {
    /// One request as received.
    public struct Request: Sendable {
        /// The method: `GET`, `POST` and so on.
        public var method: String
        /// The target as sent: path and query.
        public var target: String
        /// Header fields, names lowercased.
        public var headers: [String: String]
        /// The body.
        public var body: String
    }

    /// An answer: status, JSON body and any other header fields.
    public struct Answer: Sendable {
        /// The status code.
        public var status: Int
        /// The body (sent as `application/json`).
        public var body: String
        /// More header fields, such as `Location`.
        public var headers: [(String, String)]

        /// An answer.
        public init(_ status: Int, _ body: String, headers: [(String, String)] = []) {
            self.status = status
            self.body = body
            self.headers = headers
        }
    }

    /// The port it listens on.
    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var received: [Request] = []

    /// Listens on a free port and answers every request with `answer` (called on the server's thread).
    public init(answer: @escaping @Sendable (Request) -> Answer) throws {
        (fd, port) = try LoopbackSocket.listen()
        let listener = fd
        Thread { [weak self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let server = self
                Thread { server?.serve(client, answer) }.start()
            }
        }.start()
    }

    /// The requests received so far, in order.
    public var requests: [Request] { lock.withLock { received } }

    /// Stops listening.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        _ = Glibc.close(fd)
    }

    private func serve(_ client: Int32, _ answer: (Request) -> Answer) {
        defer { _ = Glibc.close(client) }
        guard let request = Self.read(client) else { return }
        lock.withLock { received.append(request) }
        let reply = answer(request)
        let bytes = Array(reply.body.utf8)
        let extra = reply.headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        let head =
            "HTTP/1.1 \(reply.status) \(reply.status < 400 ? "OK" : "Error")\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\(extra)\r\n"
        let all = Array(head.utf8) + bytes
        var sent = 0
        while sent < all.count {
            let n = all[sent...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads one request: the head, then as many body bytes as `Content-Length` says.
    private static func read(_ client: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var bodyLength = 0
        while headEnd.map({ data.count < $0 + bodyLength }) ?? true {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data += buffer[..<n]
            if headEnd == nil, let end = data.indices.dropLast(3).first(where: { Array(data[$0..<$0 + 4]) == separator }) {
                headEnd = end + 4
                let head = String(decoding: data[..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        bodyLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: data[..<(headEnd - 4)], as: UTF8.self).split(separator: "\r\n")
        let first = lines.first?.split(separator: " ") ?? []
        guard first.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return Request(
            method: String(first[0]), target: String(first[1]), headers: headers,
            body: String(decoding: data[headEnd..<min(data.count, headEnd + bodyLength)], as: UTF8.self))
    }
}

/// A listening TCP socket on 127.0.0.1, on a free port.
public enum LoopbackSocket {
    /// Binds and listens; returns the socket and its port.
    public static func listen(backlog: Int32 = 64) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            _ = Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
