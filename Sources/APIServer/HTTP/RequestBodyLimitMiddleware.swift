import Hummingbird

/// Refuses a request whose declared `Content-Length` is over the limit with 413 before any of its body is read
/// (the response closes the connection, see `HTTPConnectionGuard`). A chunked body is checked as it is read,
/// by `APIServer.jsonBody`.
struct RequestBodyLimitMiddleware: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            return APIError.payloadTooLarge(limit: maxBodyBytes).response
        }
        return try await next(request, context)
    }
}
