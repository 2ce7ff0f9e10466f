import NIOCore
import NIOPosix
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Maps a socket error to the result classes of the contract.
public enum ErrorClassification {
    public static func classify(_ error: any Error) -> ProbeResultClass {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return .timeout }
        if let ioError = error as? IOError { return classify(errno: ioError.errnoCode) }
        if let connectionError = error as? NIOConnectionError,
            let first = connectionError.connectionErrors.first
        {
            return classify(first.error)
        }
        return .error
    }

    public static func classify(errno code: Int32) -> ProbeResultClass {
        switch code {
        case ECONNREFUSED, ECONNRESET: return .refused
        case ENETUNREACH, EHOSTUNREACH, EHOSTDOWN, ENETDOWN: return .unreachable
        case ETIMEDOUT: return .timeout
        default: return .error
        }
    }
}
