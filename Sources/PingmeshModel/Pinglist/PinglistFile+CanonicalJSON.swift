/// The canonical JSON of a pinglist: keys sorted, nil fields left out, label maps in byte
/// order. Decodes with `PinglistDecoder` like any pinglist file; each type writes its keys in
/// sorted order by hand (see `CanonicalJSONWriter` for why).
extension PinglistFile {
    public func canonicalJSON() -> [UInt8] {
        let targetCount = groups.reduce(0) { $0 + $1.targets.count }
        var writer = CanonicalJSONWriter(reservingCapacity: 256 + targetCount * 160)
        write(to: &writer)
        return writer.bytes
    }

    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.field("agent", agent)
        writer.key("groups")
        writer.beginArray()
        for group in groups { group.write(to: &writer) }
        writer.endArray()
        if let settings {
            writer.key("settings")
            settings.write(to: &writer)
        }
        writer.field("version", version)
        writer.endObject()
    }
}

extension PinglistSettingsFile {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.field("concurrency", concurrency)
        writer.field("delay", delay?.description)
        writer.field("dscp", dscp)
        writer.field("interval", interval?.description)
        writer.field("ip_protocol", ipProtocol?.rawValue)
        writer.field("payload_bytes", payloadBytes)
        writer.field("source_address", sourceAddress)
        writer.field("source_ports", sourcePorts)
        writer.field("timeout", timeout?.description)
        writer.endObject()
    }
}

extension TargetGroupFile {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        if let http {
            writer.key("http")
            http.write(to: &writer)
        }
        dns?.write(key: "dns", to: &writer)
        writer.field("kind", kind?.rawValue)
        writer.field("labels", labels)
        writer.field("name", name)
        writer.field("port", port)
        writer.key("targets")
        writer.beginArray()
        for target in targets { target.write(to: &writer) }
        writer.endArray()
        writer.endObject()
    }
}

extension TargetFile {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.field("address", address)
        writer.field("delay", delay?.description)
        if let http {
            writer.key("http")
            http.write(to: &writer)
        }
        dns?.write(key: "dns", to: &writer)
        writer.field("interval", interval?.description)
        writer.field("kind", kind?.rawValue)
        writer.field("labels", labels)
        writer.field("name", name)
        writer.field("payload_bytes", payloadBytes)
        writer.field("port", port)
        writer.field("timeout", timeout?.description)
        writer.endObject()
    }
}
