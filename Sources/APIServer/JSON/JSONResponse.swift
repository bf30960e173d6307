import Hummingbird
import Tokenization

/// Builds `application/json` responses from `JSONValue`s.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(value))))
    }
}
