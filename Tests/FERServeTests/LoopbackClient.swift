import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain HTTP/1.1 and WebSocket client over loopback for the server tests: blocking sockets
/// on a thread of its own (never on Swift's cooperative threads, which the server needs), one
/// request per connection (`Connection: close`).
enum LoopbackClient {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String] // lower-cased names
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw ClientError.protocolError("not a JSON object: \(text)")
            }
            return object
        }
    }

    enum ClientError: Error {
        case connect(Int32)
        case protocolError(String)
    }

    /// Runs `work` on a new thread and returns its result.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.start()
        }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ClientError.connect(errno)
        }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError.protocolError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads exactly `count` bytes.
    static func read(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            guard n > 0 else { throw ClientError.protocolError("connection closed after \(got) of \(count) bytes") }
            got += n
        }
        return out
    }

    /// Reads the status line and headers (up to the blank line).
    static func readHead(_ fd: Int32) throws -> (Int, [String: String]) {
        var head: [UInt8] = []
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) {
            head += try read(fd, 1)
            guard head.count < 65536 else { throw ClientError.protocolError("header too long") }
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError.protocolError("bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let i = line.firstIndex(of: ":")!
            headers[line[..<i].lowercased()] = line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// One HTTP request; the reply with its whole body.
    static func request(
        port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> Reply {
        try await offThread {
            let fd = try connect(port)
            defer { close(fd) }
            var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            for (k, v) in headers { text += "\(k): \(v)\r\n" }
            if method == "POST" || !body.isEmpty { text += "Content-Length: \(body.count)\r\n" }
            try send(fd, Array((text + "\r\n").utf8) + body)
            let (status, fields) = try readHead(fd)
            var body: [UInt8] = []
            if let length = fields["content-length"].flatMap({ Int($0) }) {
                body = try read(fd, length)
            } else {
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
                    if n <= 0 { break }
                    body += chunk[0..<n]
                }
            }
            return Reply(status: status, headers: fields, body: body)
        }
    }

    /// `count` requests one after the other on one keep-alive connection, each sent as soon as
    /// the previous answer is read (as wrk and browsers do); their statuses.
    static func keepAliveStatuses(port: Int, count: Int, _ method: String, _ path: String, body: [UInt8]) async throws -> [Int] {
        try await offThread {
            let fd = try connect(port)
            defer { close(fd) }
            let request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            var statuses: [Int] = []
            for _ in 0..<count {
                try send(fd, request)
                let (status, fields) = try readHead(fd)
                _ = try read(fd, fields["content-length"].flatMap { Int($0) } ?? 0)
                statuses.append(status)
            }
            return statuses
        }
    }

    // MARK: WebSocket (RFC 6455), just enough for the tests

    enum Message: Sendable, Equatable {
        case binary([UInt8])
        case text(String)
    }

    /// Opens a WebSocket on `path`, sends each message and reads one text answer after each;
    /// returns the answers (or the HTTP status when the upgrade is refused).
    static func webSocket(port: Int, path: String, send messages: [Message]) async throws -> (status: Int, answers: [String]) {
        try await offThread {
            let fd = try connect(port)
            defer { close(fd) }
            let request =
                "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try send(fd, Array(request.utf8))
            let (status, _) = try readHead(fd)
            guard status == 101 else { return (status, []) }
            var answers: [String] = []
            for message in messages {
                switch message {
                case .binary(let bytes): try sendFrame(fd, opcode: 2, bytes)
                case .text(let string): try sendFrame(fd, opcode: 1, Array(string.utf8))
                }
                while true {
                    let (opcode, payload) = try readFrame(fd)
                    if opcode == 1 {
                        answers.append(String(decoding: payload, as: UTF8.self))
                        break
                    }
                    if opcode == 8 { return (status, answers) }
                    // ping (9) and pong (10): not answers
                }
            }
            try sendFrame(fd, opcode: 8, [0x03, 0xE8])
            return (status, answers)
        }
    }

    static func sendFrame(_ fd: Int32, opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let n = payload.count
        if n < 126 {
            frame.append(0x80 | UInt8(n))
        } else if n < 65536 {
            frame += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((n >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        try send(fd, frame)
    }

    static func readFrame(_ fd: Int32) throws -> (UInt8, [UInt8]) {
        let head = try read(fd, 2)
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let b = try read(fd, 2)
            length = Int(b[0]) << 8 | Int(b[1])
        } else if length == 127 {
            length = try read(fd, 8).reduce(0) { $0 << 8 | Int($1) }
        }
        return (head[0] & 0x0F, try read(fd, length))
    }
}
