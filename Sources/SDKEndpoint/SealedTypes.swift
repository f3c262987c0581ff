// The sealed (Envelope) HTTP types under names that do not clash with HTTPWire's parser types.
import Envelope

public typealias SealedRequest = HTTPRequest
public typealias SealedResponse = HTTPResponse
public typealias SealedHeader = HTTPHeader
