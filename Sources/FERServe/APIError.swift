import FERCore
import FERMedia
import Foundation
import Hummingbird

/// An error answered to an HTTP client: a status, a stable `code`, and a message that says what
/// was wrong and what to do, as the JSON body `{"error": message, "code": code}`.
package struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    /// Extra response headers (Retry-After, WWW-Authenticate).
    package var headers: HTTPFields = [:]

    package init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    package var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body of an error.
    package static func body(code: String, message: String) -> String {
        struct Body: Encodable {
            let error: String
            let code: String
        }
        return JSONText.encode(Body(error: message, code: code))
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: Self.body(code: code, message: message))))
    }

    // MARK: The errors the API gives

    static func badParameter(_ name: String, _ value: String, allowed: String) -> APIError {
        APIError(.badRequest, code: "bad_parameter", "Query parameter \(name)=\(value) is not valid; allowed: \(allowed).")
    }

    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        "This server needs a bearer token: send the header 'Authorization: Bearer <token>' (the WebSocket also takes ?token=).",
        headers: [.wwwAuthenticate: "Bearer"])

    static func overloaded(limit: Int) -> APIError {
        APIError(
            .serviceUnavailable, code: "overloaded",
            "The server is busy (\(limit) requests running or waiting); retry after the time in Retry-After.",
            headers: [.retryAfter: "1"])
    }

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "The request body is larger than \(limit) bytes; send a smaller image.")
    }

    static func timeout(seconds: Double) -> APIError {
        APIError(.requestTimeout, code: "request_timeout", "The request body did not arrive within \(seconds) s.")
    }

    static func unsupportedMediaType(_ type: String) -> APIError {
        APIError(
            .unsupportedMediaType, code: "unsupported_media_type",
            "Content-Type '\(type)' is not an image: send image/* (JPEG, PNG, BMP, WebP, GIF, TIFF are read) or "
                + "application/octet-stream (the format is found from the bytes).")
    }

    /// The error for an image the server could not decode or will not take.
    static func image(_ error: MediaError) -> APIError {
        switch error {
        case .badImageSize(_, .tooLarge(let w, let h, let limit)):
            return APIError(
                .contentTooLarge, code: "image_too_large",
                "The image is \(w)x\(h) = \(w * h) pixels, over this server's limit of \(limit); scale it down.")
        case .librariesUnavailable:
            return APIError(.internalServerError, code: "internal", "\(error)")
        case .unreadable:
            return APIError(.internalServerError, code: "internal", "The image could not be staged for decoding: \(error)")
        default:
            return APIError(
                .unprocessableContent, code: "undecodable_image",
                "The body is not a whole image in a supported format (JPEG, PNG, BMP, WebP, GIF, TIFF): \(error)")
        }
    }

    /// The error for an analysis that failed on a decoded image.
    static func analysis(_ error: AnalysisError) -> APIError {
        switch error {
        case .detection(.imageTooLarge(let w, let h, let limit)):
            return APIError(.contentTooLarge, code: "image_too_large", "The image is \(w)x\(h), over FERCore's limit of \(limit) pixels.")
        case .detection(.invalidOption), .detection(.minimumFaceTooSmall), .invalidOption:
            return APIError(.badRequest, code: "bad_parameter", "\(error)")
        default:
            return APIError(.internalServerError, code: "internal", "\(error)")
        }
    }
}
