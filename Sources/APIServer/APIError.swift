import Hummingbird
import Tokenization
import Wire

/// An error the api answers with an OpenAI-shaped body: `{"error": {"message", "type", "param", "code"}}`.
///
/// `param` names the offending request field, so SDK users see which parameter was wrong. Route handlers throw
/// it; `APIRoutes` turns it into the response (also mid-stream, as an SSE `data: {"error": …}` event).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?

    public init(_ status: HTTPResponse.Status, _ message: String, type: String, param: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    public static func badRequest(_ message: String, param: String? = nil) -> APIError {
        APIError(.badRequest, message, type: "BadRequestError", param: param)
    }

    public static func notFound(_ message: String, param: String? = nil) -> APIError {
        APIError(.notFound, message, type: "NotFoundError", param: param)
    }

    public static let unauthorized = APIError(
        .unauthorized, "Unauthorized: missing or invalid API key", type: "AuthenticationError")

    public static func unavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, message, type: "ServiceUnavailableError")
    }

    /// The upstream refused the request for capacity (RESOURCE_EXHAUSTED): 429, answered with `Retry-After: 1`.
    /// `type` is OpenAI's rate-limit code; `code` stays the integer status, as in every vLLM error body.
    public static func overloaded(_ message: String) -> APIError {
        APIError(.tooManyRequests, message, type: "rate_limit_exceeded")
    }

    /// A request body over `HTTPLimits.maxBodyBytes`: 413, and the connection is closed without reading the rest.
    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            .contentTooLarge, "The request body is larger than the server's limit of \(limit) bytes",
            type: "BadRequestError")
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(.internalServerError, message, type: "InternalServerError")
    }

    /// Maps a failed upstream call: UNAVAILABLE is 503 (no engine), RESOURCE_EXHAUSTED 429 (the router or
    /// engine-core is full; the client should retry), a refused request 400, anything else 500.
    public static func upstream(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        guard let rpc = error as? RPCError else { return .internalError(String(describing: error)) }
        switch rpc.code {
        case .unavailable: return .unavailable("The engine is unavailable: \(rpc.message)")
        case .resourceExhausted: return .overloaded("The server is overloaded, retry shortly: \(rpc.message)")
        case .invalidArgument, .alreadyExists, .outOfRange, .failedPrecondition: return .badRequest(rpc.message)
        case .deadlineExceeded: return APIError(.gatewayTimeout, rpc.message, type: "TimeoutError")
        default: return .internalError("The engine failed: \(rpc.message)")
        }
    }

    /// The `{"error": {...}}` body.
    var json: JSONValue {
        [
            "error": [
                "message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null,
                "code": .int(status.code),
            ]
        ]
    }

    /// The JSON error response; a 429 carries `Retry-After: 1` (seconds), a 413 `Connection: close` (the rest of
    /// the body is not read, so the connection cannot carry another request).
    var response: Response {
        var headers: HTTPFields = [:]
        if status == .tooManyRequests { headers[.retryAfter] = "1" }
        if status == .contentTooLarge { headers[.connection] = "close" }
        return JSONResponse.make(json, status: status, headers: headers)
    }
}
