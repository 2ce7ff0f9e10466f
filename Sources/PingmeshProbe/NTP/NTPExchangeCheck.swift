/// Whether an NTP reply can be used, and what it says: RFC 4330 5's sanity checks for an SNTP
/// client, then the offset and delay of RFC 5905 8 from the four timestamps.
enum NTPExchangeCheck {
    /// The clock figures of a usable reply.
    struct Measurement: Equatable {
        /// (T4 - T1) - (T3 - T2): the network round trip, without the server's holding time.
        var roundTrip: Duration
        /// ((T2 - T1) + (T3 - T4)) / 2: how far the server's clock is ahead of ours.
        var offset: Duration
    }

    /// The measurement, or why the reply is refused. `sent` is T1 and `received` T4, both on our
    /// clock; `cookie` is what the request carried as its transmit timestamp.
    static func measure(_ reply: NTPPacket, cookie: UInt64, sent: Duration, received: Duration) -> Result<Measurement, Rejection> {
        guard reply.mode == 4 else { return .failure(.init("mode \(reply.mode), a server replies with mode 4")) }
        guard reply.originTimestamp.bits == cookie else {
            return .failure(
                .init(
                    "origin timestamp 0x\(String(reply.originTimestamp.bits, radix: 16)) is not our transmit timestamp 0x\(String(cookie, radix: 16)): not a reply to this request"
                ))
        }
        if reply.stratum == 0 {
            let code = reply.referenceText.isEmpty ? "no code" : reply.referenceText
            return .failure(.init("kiss-o'-death \(code) (stratum 0): the server refuses to serve us"))
        }
        guard reply.leapIndicator != 3 else { return .failure(.init("server unsynchronised (leap indicator 3)")) }
        guard reply.stratum < 16 else { return .failure(.init("server unsynchronised (stratum \(reply.stratum))")) }
        guard !reply.transmitTimestamp.isZero else { return .failure(.init("server transmit timestamp is zero")) }
        let t2 = reply.receiveTimestamp.sinceUnixEpoch
        let t3 = reply.transmitTimestamp.sinceUnixEpoch
        let roundTrip = (received - sent) - (t3 - t2)
        let offset = ((t2 - sent) + (t3 - received)) / 2
        return .success(Measurement(roundTrip: max(roundTrip, .zero), offset: offset))
    }

    /// Why a reply was refused, for the probe's detail.
    struct Rejection: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
